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
