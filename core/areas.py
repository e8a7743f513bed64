"""The 10 supply areas (供給区域) and their TSOs (一般送配電事業者).

Source: ``shared/spec/tso-download.md`` §2. Company-code area characters other than Kansai's ``6`` are
*assumed* (§9 C3); they live here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    """One supply area (エリア) and the TSO that serves it."""

    code: str  # area_code, '01'..'10'
    name_ja: str
    name_en: str
    tso_ja: str
    tso_en: str
    company_area_char: str  # 5th character of a company code (事業者コード); assumed except '6'
    adapter: str  # default download adapter: 'generic', 'html_list' or 'kansai'


AREAS: dict[str, Area] = {
    a.code: a
    for a in (
        Area("01", "北海道", "Hokkaido", "北海道電力ネットワーク", "Hokkaido Electric Power Network", "1", "generic"),
        Area("02", "東北", "Tohoku", "東北電力ネットワーク", "Tohoku Electric Power Network", "2", "generic"),
        Area("03", "東京", "Tokyo", "東京電力パワーグリッド", "TEPCO Power Grid", "3", "generic"),
        Area("04", "中部", "Chubu", "中部電力パワーグリッド", "Chubu Electric Power Grid", "4", "generic"),
        Area("05", "北陸", "Hokuriku", "北陸電力送配電", "Hokuriku Electric Power T&D", "5", "generic"),
        Area("06", "関西", "Kansai", "関西電力送配電", "Kansai Transmission and Distribution", "6", "kansai"),
        Area("07", "中国", "Chugoku", "中国電力ネットワーク", "Chugoku Electric Power Network", "7", "generic"),
        Area("08", "四国", "Shikoku", "四国電力送配電", "Shikoku Electric Power T&D", "8", "html_list"),
        Area("09", "九州", "Kyushu", "九州電力送配電", "Kyushu Electric Power T&D", "9", "generic"),
        Area("10", "沖縄", "Okinawa", "沖縄電力", "Okinawa Electric Power", "A", "generic"),
    )
}


def tso_company_code(area_code: str) -> str:
    """Company code (事業者コード) of an area's TSO: ``1006`` + area character.

    Only Kansai ``10066`` is confirmed; the pattern for the others is assumed (tso-download.md §9 C3).
    """
    return "1006" + AREAS[area_code].company_area_char


def area_of_tso_code(company_code: str) -> str | None:
    """The area whose TSO has the company code ``company_code`` (送信者コード of a BP file), or None when
    no TSO has it. The reverse of :func:`tso_company_code`, so it rests on the same assumption."""
    code = company_code.strip()
    return next((a for a in AREAS if tso_company_code(a) == code), None)


def area(code: str) -> Area:
    """Look up an area by its two-digit code, with a clear error for an unknown one."""
    try:
        return AREAS[code]
    except KeyError:
        raise ValueError(f"unknown area code {code!r}; expected one of {', '.join(AREAS)}") from None
