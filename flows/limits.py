"""Tag concurrency limits: at most one pull per TSO at a time, across every flow run (tag ``tso-NN``).

Within one run each TSO has a single pull task anyway; the limit matters when runs overlap (a manual
``takuso run`` while the scheduled one is pulling). The limits live in the Prefect API, so they work with
a Prefect server and with Prefect's ephemeral local API alike; if the API refuses, the run goes on
without them and says so.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

PULLS_PER_TSO = 1


def tso_tag(area_code: str) -> str:
    """The task tag of one TSO's pulls, e.g. ``tso-03``."""
    return f"tso-{area_code}"


def ensure_tag_limits(area_codes: list[str], limit: int = PULLS_PER_TSO) -> str | None:
    """Create the missing ``tso-NN`` tag limits (existing ones are left as the operator set them).

    Returns None when the limits are in place, else a one-line note of why they are not.
    """
    try:
        from prefect.client.orchestration import get_client
        from prefect.exceptions import ObjectNotFound

        with get_client(sync_client=True) as client:
            for code in area_codes:
                try:
                    client.read_concurrency_limit_by_tag(tso_tag(code))
                except ObjectNotFound:
                    client.create_concurrency_limit(tso_tag(code), limit)
    except Exception as exc:  # no API, old server, permissions: degrade to one pull per TSO per run
        note = f"tag concurrency limits not set ({type(exc).__name__}: {exc}); pulls run one task per TSO per run"
        log.warning(note)
        return note
    return None
