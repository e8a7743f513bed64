"""Synthetic Japanese customers (需要家): names and supply addresses (供給場所), never real people.

Some names use vendor characters that only CP932 has under a "Shift_JIS" label (髙, ①), so sample files
exercise the decoding rule R1 of bp-xml.md.
"""

from __future__ import annotations

import random

FAMILY = (
    "佐藤",
    "鈴木",
    "髙橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
)
GIVEN = ("太郎", "花子", "一郎", "美咲", "翔太", "陽菜", "健太", "結衣", "大輔", "さくら", "蓮", "葵")
BUSINESS = (
    "株式会社サンプル製作所",
    "有限会社テスト商店",
    "合同会社みらい工業",
    "サンプル食品株式会社",
    "架空物流株式会社",
)
CITY = {
    "01": "北海道札幌市中央区",
    "02": "宮城県仙台市青葉区",
    "03": "東京都千代田区",
    "04": "愛知県名古屋市中区",
    "05": "富山県富山市",
    "06": "大阪府大阪市北区",
    "07": "広島県広島市中区",
    "08": "香川県高松市",
    "09": "福岡県福岡市博多区",
    "10": "沖縄県那覇市",
}


def customer_name(rng: random.Random, business: bool) -> str:
    """A made-up customer name: a company for high voltage, a person for low voltage."""
    if business:
        return rng.choice(BUSINESS)
    return f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}"


def supply_address(rng: random.Random, area: str) -> str:
    """A made-up address in the area's main city, sometimes with a circled digit (CP932 only)."""
    block = f"{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号"
    suffix = "サンプルビル①" if rng.random() < 0.3 else ""
    return f"{CITY[area]}{block}{suffix}"
