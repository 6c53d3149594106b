#!/usr/bin/python3
"""The benchmark's Python peer (scripts/bench.sh): what a plain script would do in gigasync's place.

Usage: bench_peer.py BASE_URL TOKEN_FILE DATABASE   (BASE_URL ends in /v2/; DATABASE is created)
Reads every list page of integrations (page_size 100) with 4 threads, one requests.Session each
(gzip, as requests asks for by default), parses each page with the standard json module and
inserts the objects into one SQLite table in one transaction. Prints the number of rows.
Needs Debian's /usr/bin/python3 and python3-requests.
"""
import concurrent.futures, json, sqlite3, sys, threading
import requests

base_url, token_file, db_path = sys.argv[1:4]
with open(token_file, encoding="utf-8") as f:
    token = f.read().strip()
local = threading.local()


def fetch(page):
    if not hasattr(local, "session"):
        local.session = requests.Session()
        local.session.headers["Authorization"] = f"Token {token}"
    r = local.session.get(f"{base_url}integrations/", params={"page": page, "page_size": 100}, timeout=60)
    r.raise_for_status()
    return json.loads(r.content)


def rows(body):
    return [(o["id"], o["name"], o["type"], o["logo"], json.dumps(o["metadata"]), o["email"], o["recipient"],
             o["address_line_1"], o["address_line_2"], o["zip_code"], o["city"]) for o in body["results"]]


db = sqlite3.connect(db_path)
db.execute("CREATE TABLE integrations (id TEXT PRIMARY KEY, name TEXT, type INTEGER, logo TEXT, metadata TEXT,"
           " email TEXT, recipient TEXT, address_line_1 TEXT, address_line_2 TEXT, zip_code TEXT, city TEXT)")
insert = "INSERT INTO integrations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool, db:  # db: one transaction, committed at the end
    first = pool.submit(fetch, 1).result()
    db.executemany(insert, rows(first))
    for body in pool.map(fetch, range(2, (first["count"] + 99) // 100 + 1)):
        db.executemany(insert, rows(body))
print(db.execute("SELECT count(*) FROM integrations").fetchone()[0])
db.close()
