"""Regenerate docs/template.png and docs/scored.png from the real files, as a clerk would see them printed.

    python scripts/render_docs_images.py

docs/template.png: the 邵阳 2023 example in our template; docs/scored.png: the same file after
`perfeval-xl check --output`. Each is page 1 of a LibreOffice headless render to PDF, turned into PNG by pdftoppm
(Debian: libreoffice-calc-nogui, poppler-utils; fonts-wqy-zenhei for the CJK glyphs).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "邵阳-信息化建设专项经费-2023.xlsx"


def _first_page_png(workbook: Path, dest: Path, work: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftoppm") is None:
        sys.exit("需要 LibreOffice（soffice）和 pdftoppm（poppler-utils）。")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(work), str(workbook)], check=True, capture_output=True, timeout=180)
    pdf = work / (workbook.stem + ".pdf")
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(dest.with_suffix(""))], check=True)
    print(f"已生成 {dest.relative_to(ROOT)}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _first_page_png(EXAMPLE, ROOT / "docs" / "template.png", work)
        scored_dir = work / "scored"
        subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "check", str(EXAMPLE), "--output", str(scored_dir),
                        "--exit-zero"], check=True, capture_output=True)
        _first_page_png(scored_dir / EXAMPLE.name, ROOT / "docs" / "scored.png", work)


if __name__ == "__main__":
    main()
