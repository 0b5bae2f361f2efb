"""Numbers as the page shows them and as the URL writes them."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.explorer.display import exact, number, number_html, subscripts


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [
        (0.2689414213699951, 3, "0.269"),
        (-0.2689414213699951, 2, "\u22120.27"),
        (0.0, 3, "0"),
        (-0.0, 3, "0"),
        (5.5508e-17, 3, "5.55e\u221217"),
        (-2.3985e-145, 2, "\u22122.4e\u2212145"),
        (123456.0, 3, "1.23e5"),
        (-3600.0, 3, "\u22123600"),  # whole numbers below 1e5, never 3.6e+03
        (-1794.3, 3, "\u22121794"),
        (500.0, 2, "500"),
        (999.6, 3, "1000"),
        (2.0, 3, "2"),
        (float("-inf"), 3, "\u2212∞"),
    ],
)
def test_number(value: float, digits: int, text: str) -> None:
    assert number(value, digits) == text


@pytest.mark.parametrize("value", [2.0, -1.0, 0.1, 1e-20, 1 / 3, 123456789.125, -0.0])
def test_exact_reads_back_as_the_same_float(value: float) -> None:
    assert float(exact(value)) == value


def test_exact_writes_integers_without_a_point() -> None:
    assert exact(2.0) == "2"
    assert exact(-3.0) == "-3"


def test_page_text_writes_e_notation_as_a_power_of_ten() -> None:
    assert number_html(8.9e-5, 2) == "8.9×10<sup>\u22125</sup>"
    assert number_html(-2.3985e-145, 2) == "\u22122.4×10<sup>\u2212145</sup>"
    assert number_html(123456.0, 3) == "1.23×10<sup>5</sup>"
    assert number_html(0.0269, 3) == "0.0269"


def test_sentences_write_e_notation_as_a_power_of_ten_as_tables_do() -> None:
    text = "E = 1.714e\u221215; dE/dZ = (\u22121.71e\u221215, 2e5); O2 = 0.5; class1e5"
    assert str(subscripts(text)) == (
        "E = 1.714×10<sup>\u221215</sup>; dE/dZ = (\u22121.71×10<sup>\u221215</sup>, "
        "2×10<sup>5</sup>); O<sub>2</sub> = 0.5; class1e5"
    )


@given(
    st.floats(allow_nan=False) | st.sampled_from([1e-4, -1e-4, 99999.5, 1e5, 5e-324]),
    st.integers(1, 17),
)
def test_a_tables_number_reads_as_the_same_number_in_a_sentence(value: float, digits: int) -> None:
    # tables write each cell with number_html; sentences rewrite their text with subscripts
    assert number_html(value, digits) == subscripts(number(value, digits))
