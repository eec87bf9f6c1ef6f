"""The same RFM as `custkit score` (orders = refs with a positive net, monetary net of returns,
recency from the last order), in pandas: groupby + qcut. Prints JSON timings on stdout.
Usage: python3 bench/score_pandas.py STORE.db AS_OF"""
import json
import sqlite3
import sys
import time

import pandas as pd

db, as_of = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
c0 = time.process_time()
con = sqlite3.connect(db)
p = pd.read_sql_query(
    "SELECT p.contact_id, p.source, p.order_ref, p.ordered_at, p.amount_minor FROM purchases p "
    "JOIN contacts c ON c.id = p.contact_id WHERE c.status NOT IN ('merged', 'erased')",
    con,
)
t1 = time.perf_counter()
c1 = time.process_time()

day = p["ordered_at"].str.slice(0, 10)
p = p[day <= as_of].copy()
p["pos_day"] = pd.to_datetime(day[day <= as_of]).where(p["amount_minor"] > 0)
orders = p.groupby(["contact_id", "source", "order_ref"], sort=False).agg(net=("amount_minor", "sum"), day=("pos_day", "min"))
monetary = orders.groupby("contact_id")["net"].sum().rename("monetary")
real = orders[orders["net"] > 0]
cust = real.groupby("contact_id").agg(frequency=("net", "size"), last=("day", "max")).join(monetary)
cust["recency"] = (pd.Timestamp(as_of) - cust["last"]).dt.days
# qcut on ranks: equal-size quintiles (value qcut fails on tied frequencies), like --binning ntile.
cust["r"] = pd.qcut(cust["recency"].rank(method="first"), 5, labels=[5, 4, 3, 2, 1]).astype(int)
cust["f"] = pd.qcut(cust["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
cust["m"] = pd.qcut(cust["monetary"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
grid = {}
for r in range(1, 6):
    for f in range(1, 6):
        if r == 5 and f >= 4: s = "Champions"
        elif r in (3, 4) and f >= 4: s = "Loyal"
        elif r >= 4 and f in (2, 3): s = "Potential Loyalists"
        elif r == 5 and f == 1: s = "New"
        elif r == 4 and f == 1: s = "Promising"
        elif r == 3 and f == 3: s = "Need Attention"
        elif r == 3: s = "About To Sleep"
        elif f in (3, 4): s = "At Risk"
        elif f == 5: s = "Can't Lose Them"
        else: s = "Hibernating"
        grid[r * 10 + f] = s
cust["segment"] = (cust["r"] * 10 + cust["f"]).map(grid)
counts = cust["segment"].value_counts()
t2 = time.perf_counter()
c2 = time.process_time()
print(json.dumps({"load_s": t1 - t0, "compute_s": t2 - t1, "load_cpu_s": c1 - c0, "compute_cpu_s": c2 - c1, "customers": int(len(cust)), "segments": int(len(counts)), "pandas": pd.__version__}))
