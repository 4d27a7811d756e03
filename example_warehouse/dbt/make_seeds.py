"""Writes seeds/raw_scores.csv: two weeks of fraud scores, 400 a day, with two failures injected (docs/dbt.md).

- From 2026-10-11 model v2 scores every account higher (the score distribution shifts; nothing errors).
- From 2026-10-13 a third of the scores come from new accounts (41-60) that raw_accounts does not have yet, so the
  join in `predictions` leaves their country and account age NULL.

Deterministic: `python make_seeds.py` rewrites the same file.
"""

import csv
import math
import random
from datetime import datetime, timedelta
from pathlib import Path

START = datetime(2026, 10, 1)
DAYS = 14
PER_DAY = 400
SHIFT_FROM = datetime(2026, 10, 11)
NEW_ACCOUNTS_FROM = datetime(2026, 10, 13)


def main() -> None:
    rng = random.Random(20261001)
    rows = []
    for day in range(DAYS):
        date = START + timedelta(days=day)
        for _ in range(PER_DAY):
            at = date + timedelta(seconds=rng.randrange(86_400))
            new = at >= NEW_ACCOUNTS_FROM and rng.random() < 1 / 3
            account = rng.randint(41, 60) if new else rng.randint(1, 40)
            v2 = at >= SHIFT_FROM
            logit = rng.gauss(-1.2 + (0.8 if v2 else 0.0), 1.0)
            score = round(1 / (1 + math.exp(-logit)), 4)
            rows.append((at, account, score, "v2" if v2 else "v1"))
    rows.sort()
    path = Path(__file__).parent / "seeds" / "raw_scores.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["score_id", "account_id", "scored_at", "score", "model_version"])
        for number, (at, account, score, version) in enumerate(rows, 1):
            writer.writerow([number, account, at.isoformat(sep=" "), score, version])


if __name__ == "__main__":
    main()
