"""The JSON list writer of the CLI: one document whatever the batches look like."""

from __future__ import annotations

import io
import json

from foerderkette.cli.base import write_json_rows


def test_json_rows_form_one_document_for_any_batching() -> None:
    for batches, expected in (
        ([], []),
        ([[]], []),
        ([['{"a":1}']], [{"a": 1}]),
        ([['{"a":1}', '{"a":2}'], [], ['{"a":3}']], [{"a": 1}, {"a": 2}, {"a": 3}]),
    ):
        out = io.StringIO()
        write_json_rows(batches, out)
        assert json.loads(out.getvalue()) == expected
        assert out.getvalue().endswith("]\n")
