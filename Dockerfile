# Descent Lab for a class: app processes behind nginx with sticky sessions, on one port (8080).
# It runs scripts/serve, the set-up tested in tests/test_deploy.py; docs/deploy.md explains the choices.
#   docker build -t descent-lab .
#   docker run -p 8080:8080 descent-lab      # open http://localhost:8080
FROM python:3.11-slim-bookworm

# Debian's nginx, as in the tested set-up; a CJK font for the Chinese labels of rendered animations.
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
# The CPU build of torch: PyPI's default wheel brings gigabytes of CUDA libraries this app never uses.
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.txt

COPY . .
# Not root: nginx and the app processes run as this user, every nginx path in a temporary directory.
RUN useradd --create-home descentlab && chown -R descentlab /app
USER descentlab
# Compile the engine into numba's on-disk cache now, not while the first students wait; and copy the
# plotly.js bundle the browsers load into static/vendor/ (ui/plot.py would do it on the first start).
RUN python -c "import optimizers; optimizers.warm_up(everything=True)" && python -c "import ui.plot"

EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/_stcore/health', timeout=4).read() != b'ok')"]
CMD ["scripts/serve", "--processes", "2", "--port", "8080", "--address", "0.0.0.0"]
