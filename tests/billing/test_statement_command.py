"""`tawasol billing statement` and `tawasol agency credit`, as an operator runs them, on the real
store (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import arabic_reshaper
import pytest
from typer.testing import CliRunner

from billing.statement_pdf import FontMissing, statement_pdf
from billing.statements import Quarter, build_statement
from bot.cli import app
from tests.billing.test_statement_example import write_example

COLUMNS = ["category", "channel", "messages", "segments", "amount_jod", "agency_share_jod", "ministry_share_jod"]


def run(database_url: str, *args: str):
    runner = CliRunner()
    return runner.invoke(app, list(args), env={"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"})


def test_the_csv_statement_has_the_issues_columns(store, database_url, tmp_path):
    write_example(store)
    result = run(database_url, "billing", "statement", "--agency", "moi", "--quarter", "2026Q4")
    assert result.exit_code == 0, result.stderr
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert set(COLUMNS) <= set(table[0])
    assert [(r["category"], r["channel"], r["amount_jod"], r["ministry_share_jod"]) for r in table] == [
        ("transaction_status", "sms", "0.034", "0.017"),
        ("transaction_status", "whatsapp", "0.000", "0.000"),
        ("awareness", "sms", "0.021", "0.011"),
        ("promotional", "sms", "0.014", "0.000"),
        ("internal", "sms", "0.007", "0.000"),
    ]
    out = tmp_path / "moi.csv"
    written = run(database_url, "billing", "statement", "--agency", "moi", "--quarter", "2026Q4",
                  "--format", "csv", "--out", str(out))
    assert written.exit_code == 0 and out.read_text(encoding="utf-8") == result.stdout
    assert "0.076 JOD" in written.stderr  # the summary line: the total to the fils


@pytest.mark.parametrize("args, says", [
    (["--agency", "nosuch", "--quarter", "2026Q4"], "no agency 'nosuch'"),
    (["--agency", "moi", "--quarter", "2026Q5"], "2026Q5"),
    (["--agency", "moi", "--quarter", "Q4"], "e.g. 2026Q4"),
    (["--agency", "moi", "--quarter", "2026Q4", "--format", "pdf"], "needs --out"),
])
def test_an_unknown_agency_or_a_bad_quarter_exits_2_with_the_reason(store, database_url, args, says):
    write_example(store)
    result = run(database_url, "billing", "statement", *args)
    assert result.exit_code == 2
    assert says in result.stderr and result.stdout == ""


def test_an_unwritable_out_file_exits_2_with_the_reason(store, database_url, tmp_path):
    write_example(store)
    result = run(database_url, "billing", "statement", "--agency", "moi", "--quarter", "2026Q4",
                 "--out", str(tmp_path / "no" / "such" / "dir.csv"))
    assert result.exit_code == 2 and "cannot write" in result.stderr


def test_the_ministry_wide_statement_needs_no_agency(store, database_url):
    write_example(store)
    result = run(database_url, "billing", "statement", "--quarter", "2026Q4")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert ("reply", "sms", "0.014", "0.070") in [
        (r["category"], r["channel"], r["ministry_share_jod"], r["citizen_charges_jod"]) for r in rows
    ]


def test_the_pdf_statement_is_written_and_reads_in_both_languages(store, database_url, tmp_path):
    write_example(store)
    out = tmp_path / "moi.pdf"
    result = run(database_url, "billing", "statement", "--agency", "moi", "--quarter", "2026Q4",
                 "--format", "pdf", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 5_000
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the PDF's text was not read back")
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    for english in ("Ministry of Interior", "Transaction status", "Due from the agency: 0.048 JOD", "0.076"):
        assert english in text
    # The Arabic is drawn shaped and right to left: a reader gets it back in reading order, each
    # letter in its joined form (an unshaped or left-to-right drawing reads back otherwise).
    for arabic in ("وزارة الداخلية", "كشف حساب الرسائل الفصلي", "حالة معاملة"):
        assert arabic_reshaper.reshape(arabic) in text


def test_a_machine_without_the_font_gets_a_clear_error(store, tmp_path):
    write_example(store)
    statement = build_statement(store, Quarter.parse("2026Q4"), "moi")
    with pytest.raises(FontMissing, match="DejaVu"):
        statement_pdf(statement, font_dir=tmp_path)


def test_agency_credit_shows_and_tops_up(store, database_url):
    store.agencies.add("moi", name_ar="وزارة الداخلية", name_en="Ministry of Interior", message_credit=10)
    shown = run(database_url, "agency", "credit", "moi")
    assert shown.exit_code == 0 and "10 message(s) left of 10" in shown.stdout
    topped = run(database_url, "agency", "credit", "moi", "--add", "90")
    assert topped.exit_code == 0 and "100 message(s) left of 100" in topped.stdout
    assert store.credit.state("moi").remaining == 100
    unknown = run(database_url, "agency", "credit", "nosuch", "--add", "5")
    assert unknown.exit_code == 2 and "no agency 'nosuch'" in unknown.stderr
    refused = run(database_url, "agency", "credit", "moi", "--add", "0")
    assert refused.exit_code == 2
