"""One table of bad inputs and misuses: every command answers with one clear line and exit 2.

No traceback, no "internal error", no partial file under its final name, no silently wrong
value. Add a row whenever a new one is found.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

import pytest

from tsgan.cli import main

HOURS = "".join(f"2024-03-{d:02d} {h:02d}:00,{40 + h}.5\n" for d in range(1, 11) for h in range(24))
GOOD_CSV = "time,price\n" + HOURS
JSON_DAY = json.dumps(
    {
        "unix_seconds": [1709247600 + 3600 * h for h in range(24)],
        "price": [True if h == 3 else 40.5 + h for h in range(24)],
    }
)


def _infinite_parquet() -> bytes:
    import io

    import pandas as pd

    times = pd.date_range("2024-03-01", periods=48, freq="h", tz="Europe/Berlin")
    buf = io.BytesIO()
    pd.DataFrame({"time": times, "price": [40.0] * 30 + [float("inf")] * 18}).to_parquet(buf)
    return buf.getvalue()


# name → content of the input files a case needs ({tmp} is the case's folder)
FILES: dict[str, str | bytes] = {
    "good.csv": GOOD_CSV,
    "empty.csv": "",
    "binary.bin": bytes(range(256)) * 8,
    "prices.csv.gz": gzip.compress(GOOD_CSV.encode()),
    "header_only.csv": "time,price\n",
    "one_column.csv": "time\n2024-03-01 00:00\n",
    "no_price.csv": "time,volume\n2024-03-01 00:00,5\n",
    "two_prices.csv": "time,price_a,price_b\n2024-03-01 00:00,1,2\n",
    "word_price.csv": "time,price\n2024-03-01 00:00,abc\n",
    "bad_time.csv": "time,price\nyesterday,12\n",
    "mixed_decimal.csv": "time;price\n2024-03-01 00:00;60.63\n2024-03-01 01:00;60,63\n",
    "unsure_decimal.csv": "time;price\n"
    + "".join(f"2024-03-01 {h:02d}:00;1.234\n" for h in range(24)),
    "mixed_offsets.csv": "time,price\n2024-03-01T00:00+01:00,5\n2024-03-01 01:00,6\n",
    "unsure_day.csv": "time,price\n"
    + "".join(f"0{d}/03/2024 {h:02d}:00,5\n" for d in (1, 2) for h in range(24)),
    "daily.csv": "time,price\n" + "".join(f"2024-03-{d:02d},{40 + d}\n" for d in range(1, 29)),
    "json_true.json": JSON_DAY,
    "year_1500.csv": "time,price\n1500-01-01 00:00,5\n1500-01-01 01:00,6\n",
    "deep.json": "[" * 200_000 + "]" * 200_000,
    "latin1.toml": 'gif_title = "Strompreis \u00dc"\n'.encode("latin-1"),
    "smard_null_time.json": '{"meta_data": {}, "series": [[1709247600000, 50.1], [null, 51.2]]}',
    "sources_text.toml": 'sources = "abc"\nout = "{tmp}/r"\n',
    "huge_latent.toml": "demo = true\n[model]\nlatent_dim = 100000000\n",
    "json_infinity.json": JSON_DAY.replace("true", "Infinity"),
    "json_1e400.json": JSON_DAY.replace("true", "-1e400"),
    "infinite.parquet": _infinite_parquet(),
    "bad.json": "{not json",
    "bad_config.toml": "epochs = [",
    "unknown_key.toml": "epocs = 5\n",
    "wrong_type.toml": 'epochs = "many"\n',
    "bool_text.toml": 'demo = "no"\nout = "{tmp}/r"\n',
    "model_loss.toml": 'demo = true\n[model]\nloss = "bce"\n',
    "model_typo.toml": "demo = true\n[model]\nlatent = 4\n",
    "not_a_model.keras": "this is not a zip file",
    "someones/notes.txt": "keep me",
    "not_a_dir": "a file",
    "existing.csv": "already here",
}


def _run_like(tmp: Path) -> Path:
    """A folder that looks like a run but holds a broken model."""
    run = tmp / "broken_run"
    run.mkdir()
    (run / "model.keras").write_bytes(b"PK\x03\x04 truncated")
    (run / "run.json").write_text("{}")
    return run


CASES = [
    # data: files
    ("missing file", ["data", "{tmp}/nope.csv"], "nope.csv: no such file"),
    ("empty file", ["data", "{tmp}/empty.csv"], "empty.csv: the file is empty"),
    ("binary file", ["data", "{tmp}/binary.bin"], "binary.bin: not a text, JSON or Parquet"),
    ("gzip file", ["data", "{tmp}/prices.csv.gz"], "prices.csv.gz: a compressed file"),
    ("header only", ["data", "{tmp}/header_only.csv"], "header only, no data rows"),
    ("one column", ["data", "{tmp}/one_column.csv"], "cannot split the header 'time' into columns"),
    ("no price column", ["data", "{tmp}/no_price.csv"], "no price column among"),
    ("two price columns", ["data", "{tmp}/two_prices.csv"], "several price-like columns"),
    ("word as price", ["data", "{tmp}/word_price.csv"], "price 'abc' in column 'price'"),
    ("word as time", ["data", "{tmp}/bad_time.csv"], "time stamp 'yesterday'"),
    ("mixed decimal marks", ["data", "{tmp}/mixed_decimal.csv"], "mixes decimal marks"),
    ("unsettled decimal mark", ["data", "{tmp}/unsure_decimal.csv"], "(--decimal)"),
    (
        "decimal contradicted",
        ["data", "{tmp}/mixed_decimal.csv", "--decimal", ","],
        "as its decimal mark",
    ),
    ("offset and naive rows", ["data", "{tmp}/mixed_offsets.csv"], "mixes times with a UTC offset"),
    ("unsettled day/month", ["data", "{tmp}/unsure_day.csv"], "--dayfirst or --monthfirst"),
    ("daily resolution", ["data", "{tmp}/daily.csv"], "daily.csv: one price a day"),
    ("JSON true as a price", ["data", "{tmp}/json_true.json"], "json_true.json: price true"),
    (
        "a time pandas cannot hold",
        ["data", "{tmp}/year_1500.csv"],
        "year_1500.csv: a time outside the years 1677–2262",
    ),
    ("JSON nested 200,000 deep", ["data", "{tmp}/deep.json"], "deep.json: JSON nested too deeply"),
    (
        "a config file not in UTF-8",
        ["train", "--config", "{tmp}/latin1.toml", "--demo", "--out", "{tmp}/r"],
        "latin1.toml: not UTF-8 text (byte 24); TOML files are UTF-8",
    ),
    (
        "negative seed",
        ["train", "--demo", "--out", "{tmp}/r", "--seed", "-1"],
        "--seed must be from 0 to 2**32 - 1, got -1",
    ),
    (
        "seed of 2**32",
        ["train", "--demo", "--out", "{tmp}/r", "--seed", "4294967296"],
        "--seed must be from 0 to 2**32 - 1, got 4294967296",
    ),
    (
        "a title matplotlib reads as broken TeX",
        ["train", "--demo", "--out", "{tmp}/r", "--title", "$\\foo{{$"],
        "is not text matplotlib can draw",
    ),
    (
        "evaluate on 10 test days",
        ["evaluate", "{good_run}", "{tmp}/good.csv", "-o", "{tmp}/report"],
        "10 test days: an evaluation needs at least 12",
    ),
    (
        "evaluate from a word",
        ["evaluate", "{good_run}", "{tmp}/good.csv", "-o", "{tmp}/report", "--from", "notadate"],
        "argument --from: 'notadate' is not a date (YYYY-MM-DD)",
    ),
    (
        "evaluate with a negative seed",
        ["evaluate", "{good_run}", "{tmp}/good.csv", "-o", "{tmp}/report", "--seed", "-3"],
        "argument --seed: '-3' is not a seed",
    ),
    (
        "a time zone that does not exist",
        ["train", "--demo", "--out", "{tmp}/r", "--tz", "Mars/Base"],
        "--tz 'Mars/Base' is not a time zone",
    ),
    (
        "checkpoint every nan seconds",
        ["train", "--demo", "--out", "{tmp}/r", "--checkpoint-every", "nan"],
        "--checkpoint-every must be a number of seconds above 0, got nan",
    ),
    (
        "checkpoint every -5 seconds",
        ["train", "--demo", "--out", "{tmp}/r", "--checkpoint-every", "-5"],
        "--checkpoint-every must be a number of seconds above 0, got -5",
    ),
    (
        "SMARD chart_data row without a time",
        ["data", "{tmp}/smard_null_time.json"],
        "smard_null_time.json: row 2 of 'series' has no time (null)",
    ),
    (
        "TOML sources as one string",
        ["train", "--config", "{tmp}/sources_text.toml"],
        "sources must be a list of names, got 'abc'",
    ),
    (
        "a model larger than the memory",
        ["train", "--config", "{tmp}/huge_latent.toml", "--out", "{tmp}/r"],
        "parameters needs about",
    ),
    (
        "more scenarios than the memory holds",
        ["sample", "{good_run}", "-n", "100000000000", "-o", "{tmp}/s.csv"],
        "s.csv: 2,400,000,000,000 prices need about 21,600.0 GB",
    ),
    (
        "JSON Infinity as a price",
        ["data", "{tmp}/json_infinity.json"],
        "json_infinity.json: row 4: price inf is not a finite number",
    ),
    (
        "JSON 1e400 as a price",
        ["data", "{tmp}/json_1e400.json"],
        "json_1e400.json: row 4: price -inf is not a finite number",
    ),
    (
        "Parquet inf as a price",
        ["train", "{tmp}/infinite.parquet", "--out", "{tmp}/r"],
        "infinite.parquet: row 31: price inf is not a finite number",
    ),
    ("broken JSON", ["data", "{tmp}/bad.json"], "bad.json: not valid JSON"),
    ("empty folder", ["data", "{tmp}/emptydir"], "emptydir: directory holds no .csv/.json"),
    ("a FIFO", ["data", "{tmp}/fifo.csv"], "fifo.csv: not a regular file"),
    ("bad --dst", ["data", "{tmp}/good.csv", "--dst", "keep"], "argument --dst: invalid choice"),
    ("bad --decimal", ["data", "{tmp}/good.csv", "--decimal", ";"], "argument --decimal"),
    (
        "unknown time zone",
        ["data", "{tmp}/good.csv", "--tz", "Mars/Base"],
        "tz 'Mars/Base' is not a time zone",
    ),
    # train: settings
    ("no source", ["train", "--out", "{tmp}/r"], "give a data SOURCE or --demo"),
    ("bad loss", ["train", "--demo", "--out", "{tmp}/r", "--loss", "foo"], "invalid choice: 'foo'"),
    (
        "bad theme: the flag named",
        ["train", "--demo", "--out", "{tmp}/r", "--theme", "neon"],
        "--theme must be one of light, dark, got 'neon'",
    ),
    (
        "zero epochs",
        ["train", "--demo", "--out", "{tmp}/r", "--epochs", "0"],
        "--epochs must be at least 1, got 0",
    ),
    (
        "batch of one",
        ["train", "--demo", "--out", "{tmp}/r", "--batch-size", "1"],
        "--batch-size must be at least 2, got 1",
    ),
    (
        "text epochs",
        ["train", "--demo", "--out", "{tmp}/r", "--epochs", "many"],
        "argument --epochs: invalid int",
    ),
    (
        "impossible date",
        ["train", "--demo", "--out", "{tmp}/r", "--from", "2024-13-45"],
        "--from '2024-13-45' is not a date",
    ),
    (
        "empty date range",
        ["train", "--demo", "--out", "{tmp}/r", "--from", "2030-01-01"],
        "no complete day between 2030-01-01",
    ),
    (
        "dates reversed",
        ["train", "--demo", "--out", "{tmp}/r", "--from", "2024-06-01", "--to", "2024-01-01"],
        "--from 2024-06-01 is after --to 2024-01-01",
    ),
    (
        "unknown condition",
        ["train", "--demo", "--out", "{tmp}/r", "--condition", "weather"],
        "argument --condition: invalid choice",
    ),
    (
        "no holiday calendar",
        ["train", "--demo", "--out", "{tmp}/r", "--condition", "calendar", "--country", "XX"],
        "country 'XX' has no holiday calendar",
    ),
    (
        "batch above days",
        ["train", "--demo", "--out", "{tmp}/r", "--from", "2024-12-20", "--batch-size", "64"],
        "fewer than --batch-size 64",
    ),
    (
        "missing config",
        ["train", "--demo", "--out", "{tmp}/r", "--config", "{tmp}/missing.toml"],
        "missing.toml: no such config file",
    ),
    (
        "broken config",
        ["train", "--out", "{tmp}/r", "--config", "{tmp}/bad_config.toml"],
        "bad_config.toml: not valid TOML",
    ),
    (
        "unknown setting",
        ["train", "--demo", "--out", "{tmp}/r", "--config", "{tmp}/unknown_key.toml"],
        "unknown setting 'epocs'",
    ),
    (
        "setting of a wrong type",
        ["train", "--demo", "--out", "{tmp}/r", "--config", "{tmp}/wrong_type.toml"],
        "epochs must be a whole number, got 'many'",
    ),
    (
        "boolean as text",
        ["train", "--config", "{tmp}/bool_text.toml"],
        "demo must be true or false, got 'no'",
    ),
    (
        "loss under [model]",
        ["train", "--out", "{tmp}/r", "--config", "{tmp}/model_loss.toml"],
        "'loss' is a top-level setting",
    ),
    (
        "unknown model setting",
        ["train", "--out", "{tmp}/r", "--config", "{tmp}/model_typo.toml"],
        "unknown [model] setting 'latent'",
    ),
    # train: the run directory
    (
        "out is a file",
        ["train", "--demo", "--out", "{tmp}/not_a_dir"],
        "not_a_dir: exists and is not a directory",
    ),
    ("out not empty", ["train", "--demo", "--out", "{tmp}/someones"], "run directory is not empty"),
    (
        "overwrite a foreign folder",
        ["train", "--demo", "--out", "{tmp}/someones", "--overwrite"],
        "not a tsgan run directory",
    ),
    (
        "resume nothing",
        ["train", "--resume", "{tmp}/someones"],
        "config.toml: not found, nothing to resume",
    ),
    (
        "resume with a source",
        ["train", "{tmp}/good.csv", "--resume", "{tmp}/someones"],
        "--resume RUN_DIR continues a run with its own settings",
    ),
    # sample / evaluate / animate
    (
        "sample without a model",
        ["sample", "{tmp}", "--n", "3", "--out", "{tmp}/s.csv"],
        "no such model",
    ),
    (
        "sample a text file",
        ["sample", "{tmp}/not_a_model.keras", "--n", "3", "--out", "{tmp}/s.csv"],
        "not_a_model.keras: not a readable tsgan model",
    ),
    (
        "sample a truncated model",
        ["sample", "{run}", "--n", "3", "--out", "{tmp}/s.csv"],
        "model.keras: not a readable tsgan model",
    ),
    (
        "sample zero",
        ["sample", "{good_run}", "--n", "0", "--out", "{tmp}/s.csv"],
        "-n must be at least 1, got 0",
    ),
    (
        "sample to .txt",
        ["sample", "{good_run}", "--n", "3", "--out", "{tmp}/s.txt"],
        "s.txt: output must end in .csv or .parquet",
    ),
    (
        "evaluate with one curve",
        ["evaluate", "{good_run}", "{tmp}/good.csv", "--n", "1", "--out", "{tmp}/rep"],
        "--n and --n-per-day must be at least 2",
    ),
    (
        "evaluate into a file",
        ["evaluate", "{good_run}", "{tmp}/good.csv", "--out", "{tmp}/existing.csv"],
        "existing.csv: exists and is not a directory",
    ),
    (
        "animate every 0",
        ["animate", "{good_run}", "--frame-every", "0", "--out", "{tmp}/a.gif"],
        "--frame-every must be at least 1",
    ),
    (
        "animate to .txt",
        ["animate", "{good_run}", "--out", "{tmp}/a.txt"],
        "a.txt: write .gif, .mp4, .webp, .png",
    ),
    (
        "animate a folder without samples",
        ["animate", "{tmp}/someones", "--out", "{tmp}/a.gif"],
        "no stored samples",
    ),
    (
        "fetch impossible date",
        ["fetch", "--from", "2024-02-30", "--to", "2024-03-01", "--out", "{tmp}/f.csv"],
        "argument --from: '2024-02-30' is not a date (YYYY-MM-DD)",
    ),
]


@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("good") / "run"
    argv = ["train", "--demo", "--from", "2024-12-01", "--batch-size", "16", "--epochs", "2"]
    assert main([*argv, "--out", str(run)]) == 0
    return run


def test_the_table_is_big_enough():
    assert len(CASES) >= 40 and len({name for name, *_ in CASES}) == len(CASES)


@pytest.mark.parametrize(("name", "argv", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_one_line_and_exit_2(name, argv, message, tmp_path, good_run, capsys):
    for rel, content in FILES.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content.replace("{tmp}", str(tmp_path)))
    (tmp_path / "emptydir").mkdir()
    os.mkfifo(tmp_path / "fifo.csv")
    run = _run_like(tmp_path)
    before = {p.relative_to(tmp_path) for p in tmp_path.rglob("*")}
    argv = [a.format(tmp=tmp_path, run=run, good_run=good_run) for a in argv]
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err, err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err and "internal error" not in err
    after = {p.relative_to(tmp_path) for p in tmp_path.rglob("*")}
    assert after <= before, f"left behind: {sorted(map(str, after - before))}"
    shutil.rmtree(tmp_path / "r", ignore_errors=True)
