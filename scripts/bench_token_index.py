"""What a random index key costs a token write on a large table: insert tokens one
transaction each (durable commits, as Compte does) into `oauth_token` of a database
seeded by scripts/seed_scale.py, once with a bare SHA-256 as the lookup key (tokens
before choice 11 of docs/benchmarks.md, JWT access tokens still) and once with the key of
today's opaque tokens, which grows with their issue time (idp/oidc/token_keys.py), and
print the WAL and the full-page images each token wrote. A checkpoint starts each run;
the rows inserted are deleted at the end.

    .venv/bin/python scripts/bench_token_index.py \
        --database-url postgresql://postgres@127.0.0.1:5432/compte_scale [--tokens 20000]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
import uuid

import psycopg

from idp.oidc.token_keys import lookup_key, new_token

SCOPE = "bench-token-index"  # marks this script's rows, deleted at the end
INSERT = (
    "INSERT INTO oauth_token (client_id, token_type, access_token_hash, family_id, scope,"
    " issued_at, expires_in) VALUES (%s, 'Bearer', %s, %s, %s, %s, 3600)"
)


def wal(conn: psycopg.Connection) -> tuple[int, int]:
    """Full-page images and bytes written to the WAL so far (pg_stat_wal)."""
    return conn.execute("SELECT wal_fpi, wal_bytes FROM pg_stat_wal").fetchone()


def key(kind: str) -> str:
    """A token's lookup key: a bare SHA-256 (random), or today's (growing)."""
    if kind == "random":
        return hashlib.sha256(os.urandom(32)).hexdigest()
    return lookup_key(new_token())


def run(url: str, kind: str, tokens: int, client: str) -> str:
    """`tokens` inserts of one kind of key after a checkpoint; one line of figures."""
    with psycopg.connect(url, autocommit=True) as admin, psycopg.connect(url) as conn:
        admin.execute("CHECKPOINT")
        fpi, size = wal(admin)
        started = time.perf_counter()
        for _ in range(tokens):
            values = (client, key(kind), str(uuid.uuid4()), SCOPE, int(time.time()))
            conn.execute(INSERT, values, prepare=True)
            conn.commit()
        seconds = time.perf_counter() - started
        fpi_after, size_after = wal(admin)
    return (
        f"{kind:7s} key: {tokens} tokens in {seconds:5.1f} s ({tokens / seconds:5.0f}/s, one"
        f" connection), WAL {(size_after - size) / tokens:6.0f} B and"
        f" {(fpi_after - fpi) / tokens:4.2f} full-page images per token"
    )


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", required=True, help="postgresql://… (seeded at scale)")
    p.add_argument("--tokens", type=int, default=20000, help="per run")
    p.add_argument("--rounds", type=int, default=2, help="random then growing, this often")
    args = p.parse_args(argv)
    url = args.database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT count(*) FROM oauth_token").fetchone()[0]
        client = conn.execute("SELECT client_id FROM oauth_client LIMIT 1").fetchone()
        if client is None:
            print("no client in that database: seed it with scripts/seed_scale.py")
            return 2
        print(f"oauth_token: {rows:,} rows")
        try:
            for _ in range(args.rounds):
                for kind in ("random", "growing"):
                    print(run(url, kind, args.tokens, client[0]), flush=True)
        finally:
            conn.execute("DELETE FROM oauth_token WHERE scope = %s", (SCOPE,))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
