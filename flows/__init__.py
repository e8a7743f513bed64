"""Orchestration (Prefect 3) of the nightly run: pull → ingest (+ inbox) → reconcile → summary.

* :mod:`flows.steps` – every step as a plain function (tested without Prefect)
* :mod:`flows.plan` – the configuration, folders and options of one run
* :mod:`flows.nightly` – the ``takuso-nightly`` flow and its thin tasks
* :mod:`flows.limits` – ``tso-NN`` tag concurrency limits
* :mod:`flows.scale` – where the per-file ingest work runs: this machine's threads or a Dask cluster
* :mod:`flows.report` – the summary table and the Markdown artifact
* :mod:`flows.prefect_home` – a private Prefect home and local API for demos and tests

Importing this package does not import Prefect; ``flows.nightly`` does.

Upper layer: holds no business rules. May import: ``core`` and every middle-layer folder (parsers,
``warehouse``, ``tso``, ``reconcile``, ``sample_data``); never ``takuso`` (the CLI).
"""
