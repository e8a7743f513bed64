"""Header-driven reader for the three standardized TSO CSV forms (統一化帳票), csv-forms.md.

Forms (``form_id``): ``generator_allocated_energy`` (発電者の仕訳後の電力量のお知らせ),
``contract_demand_breakdown`` (契約電力算定結果内訳), ``curtailment_discounts`` (制限中止割引時間).
Column layouts come from the declarative alias map ``aliases.toml`` (plus an optional user file);
no Japanese header is hard-coded in Python.

Middle layer. May import: ``core``; never the store, the client, ``flows`` or ``takuso``.
"""

from parsers.csv_forms.aliases import FORM_IDS, AliasConfigError, FormSpec, form_spec, load_config
from parsers.csv_forms.detect import detect_form
from parsers.csv_forms.problems import Problem, Rule
from parsers.csv_forms.reader import FormResult, read_form, unknown_area
from parsers.csv_forms.table import arrow_schema
from parsers.csv_forms.validate import DISCOUNT_RATE_PER_DAY

__all__ = [
    "DISCOUNT_RATE_PER_DAY",
    "FORM_IDS",
    "AliasConfigError",
    "FormResult",
    "FormSpec",
    "Problem",
    "Rule",
    "arrow_schema",
    "detect_form",
    "form_spec",
    "load_config",
    "read_form",
    "unknown_area",
]
