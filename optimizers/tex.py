"""Numbers written for LaTeX: 0.001 stays 0.001, 1e-10 becomes 10^{-10}, 2.5e-7 becomes 2.5 × 10^{-7}."""


def number(v) -> str:
    if isinstance(v, int):
        return str(v)
    s = f"{float(v):.6g}"
    if "e" in s:
        mant, exp = s.split("e")
        exp = str(int(exp))
        return f"10^{{{exp}}}" if mant == "1" else rf"{mant} \times 10^{{{exp}}}"
    return s


def factor(v) -> str:
    """A number used as a factor or a base: parenthesized when it is a power or a product."""
    s = number(v)
    return rf"\left({s}\right)" if "^" in s or "times" in s else s


def value(v) -> str:
    """A hyperparameter as LaTeX: 0.9, 10^{-3}, 2.5 \\times 10^{-4}; a swept array as (first \\ldots last)."""
    import numpy as np

    arr = np.asarray(v, dtype=np.float64)
    if arr.ndim == 1 and arr.size > 1:
        return rf"({number(float(arr[0]))} \ldots {number(float(arr[-1]))})"
    return number(float(arr.reshape(-1)[0]) if arr.size else 0.0)


def value_factor(v) -> str:
    """``value`` used as a factor or a base: parenthesized when it is a power or a product."""
    s = value(v)
    return rf"\left({s}\right)" if ("^" in s or "times" in s) and not s.startswith("(") else s


def one_minus(v) -> str:
    return rf"(1 - {value(v)})"


def pow_t1(v) -> str:
    """β^{t+1}: torch's step counts from 1 where the lecture's t counts from 0."""
    return f"{value_factor(v)}^{{t+1}}"


def nonzero(v) -> bool:
    import numpy as np

    return bool(np.any(np.asarray(v, dtype=np.float64) != 0))


def plus_eps(v) -> str:
    """`` + ε`` when ε is not 0."""
    return rf" + {value(v)}" if nonzero(v) else ""
