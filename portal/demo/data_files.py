"""Where the demo area's real NHS files are: Staffordshire and Stoke-on-Trent ICB (QNC).

Subsets of three NHS England publications, cut as ``data/README.md`` describes (Open
Government Licence v3.0). Pass them to ``portal.organisations.importer.import_nhs``.
"""

from __future__ import annotations

from pathlib import Path

DEMO_DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_ICB_CODE = "QNC"
# "Patients Registered at a GP Practice", January 2026, mapping file (141 practices, 25 PCNs).
MAPPING_FILE = DEMO_DATA_DIR / "gp-reg-pat-prac-map_2026-01-01_QNC.csv"
# "Patients Registered at a GP Practice", April 2025, totals file (registered patients).
LIST_SIZES_FILE = DEMO_DATA_DIR / "gp-reg-pat-prac-all_2025-04-01_QNC.csv"
# "NHS Payments to General Practice, England, 2022-23", practice level (weighted list sizes,
# as of 31 March 2023: the importer reads the financial year from the file name).
PAYMENTS_FILE = DEMO_DATA_DIR / "nhspaymentsgp-22-23-prac_QNC.csv"
