"""The ten BP message kinds: one table, the only place that knows their codes (bp-xml.md §3, R13).

The 情報区分コード (info kind code, JP00002) values are **assumed** to be the four characters after the
``W4``/``W5`` prefix of the file name. If the official values differ, correct ``MESSAGE_KINDS`` below
and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MessageKind:
    """One BP message kind (情報区分)."""

    info_kind_code: str  # JP00002, assumed equal to the file-name code
    name: str  # message_kind, e.g. 'low_energy_daily'
    name_ja: str
    bp_id: str  # 'W4' 30分電力量提供, 'W5' 確定使用量通知
    voltage: str  # 'high' (特高・高圧) or 'low' (低圧)
    family: str  # 'energy_current' | 'energy_daily' | 'monthly_usage' | 'meter_exchange' | 'adhoc_reading'

    @property
    def file_code(self) -> str:
        """Characters 3..6 of the file name (``0120`` for ``W40120…``)."""
        return self.info_kind_code

    @property
    def data_class(self) -> str:
        """``preliminary`` (速報値) for W4, ``confirmed`` (確定値) for W5."""
        return "preliminary" if self.bp_id == "W4" else "confirmed"

    @property
    def xsd_name(self) -> str:
        return f"{self.name}.xsd"


MESSAGE_KINDS: dict[str, MessageKind] = {
    k.info_kind_code: k
    for k in (
        MessageKind("0110", "high_energy_current", "特高・高圧30分電力量", "W4", "high", "energy_current"),
        MessageKind("0120", "high_energy_daily", "特高・高圧日毎30分電力量", "W4", "high", "energy_daily"),
        MessageKind("1110", "low_energy_current", "低圧30分電力量", "W4", "low", "energy_current"),
        MessageKind("1120", "low_energy_daily", "低圧日毎30分電力量", "W4", "low", "energy_daily"),
        MessageKind("1210", "high_monthly_usage", "特高・高圧月間確定使用量", "W5", "high", "monthly_usage"),
        MessageKind("1220", "low_monthly_usage", "低圧月間確定使用量", "W5", "low", "monthly_usage"),
        MessageKind("1310", "high_meter_exchange", "特高・高圧計量器取替", "W5", "high", "meter_exchange"),
        MessageKind("1320", "low_meter_exchange", "低圧計量器取替", "W5", "low", "meter_exchange"),
        MessageKind("1410", "high_adhoc_reading", "特高・高圧臨時検針他", "W5", "high", "adhoc_reading"),
        MessageKind("1420", "low_adhoc_reading", "低圧臨時検針他", "W5", "low", "adhoc_reading"),
    )
}

KINDS_BY_NAME: dict[str, MessageKind] = {k.name: k for k in MESSAGE_KINDS.values()}
