"""Writers that give the same bytes for the same data (no embedded clocks).

SPSS .sav headers carry a creation date/time, and XLSX files carry timestamps in docProps/core.xml
and in every zip entry; each writer pins them to FIXED_STAMP.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pyreadstat

FIXED_DATE_SAV = b"01 Jul 23"  # SPSS header creation date: 9 bytes "dd mmm yy"
FIXED_TIME_SAV = b"00:00:00"  # 8 bytes "hh:mm:ss"
FIXED_ZIP_TIME = (2023, 7, 1, 0, 0, 0)
FIXED_ISO = "2023-07-01T00:00:00Z"

# Offsets in the SPSS system-file header record (IBM SPSS Statistics file format, "File Header
# Record"): rec_type 4 + prod_name 60 + layout_code 4 + nominal_case_size 4 + compression 4 +
# weight_index 4 + ncases 4 + bias 8 = 92 bytes before creation_date (9 bytes), then creation_time
# (8 bytes).
_SAV_DATE_OFFSET = 92
_SAV_TIME_OFFSET = 101


def write_sav(df: pd.DataFrame, path: Path, **meta) -> None:
    """Write an SPSS .sav with pyreadstat, then pin the header's creation date and time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_sav(df, str(path), **meta)
    data = bytearray(path.read_bytes())
    assert data[:4] in (b"$FL2", b"$FL3"), "not an SPSS system file"
    data[_SAV_DATE_OFFSET : _SAV_DATE_OFFSET + 9] = FIXED_DATE_SAV
    data[_SAV_TIME_OFFSET : _SAV_TIME_OFFSET + 8] = FIXED_TIME_SAV
    path.write_bytes(bytes(data))


def write_dta(df: pd.DataFrame, path: Path, **meta) -> None:
    """Write a Stata .dta (format 118 via pyreadstat version=15), then pin the header's
    <timestamp>."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_dta(df, str(path), version=15, **meta)
    data = path.read_bytes()
    start = data.index(b"<timestamp>") + len(b"<timestamp>")
    length = data[start]
    fixed = b"01 Jul 2023 00:00"[:length].ljust(length)
    path.write_bytes(data[: start + 1] + fixed + data[start + 1 + length :])


def normalise_zip(path: Path) -> None:
    """Rewrite a zip container (xlsx) with fixed entry timestamps and fixed core.xml dates."""
    with zipfile.ZipFile(path) as zin:
        entries = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        for name, payload in entries:
            if name == "docProps/core.xml":
                text = payload.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rf"\g<1>{FIXED_ISO}\g<3>",
                    text,
                )
                payload = text.encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, payload)
    path.write_bytes(buf.getvalue())


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path) -> None:
    """Write one or more sheets to an .xlsx with fixed metadata."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    normalise_zip(path)


def write_csv(
    df: pd.DataFrame, path: Path, sep: str = ",", quote_all: bool = False, encoding: str = "utf-8"
) -> None:
    """Write a CSV with Unix line endings; `quote_all` quotes every field (KoboToolbox style)."""
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(
        path,
        sep=sep,
        index=False,
        lineterminator="\n",
        encoding=encoding,
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
