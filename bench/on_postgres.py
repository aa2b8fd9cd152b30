"""Imported before `support`: the benchmark's Django runs on a throw-away PostgreSQL database on
the local server (BENCH_POSTGRES_URL), which create() makes and drop() removes."""

import os

import psycopg

SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DATABASE = f"lvc_bench_{os.getpid()}"
os.environ["DATABASE_URL"] = SERVER.rsplit("/", 1)[0] + "/" + DATABASE


def create() -> None:
    with psycopg.connect(SERVER, autocommit=True) as server:
        server.execute(f'CREATE DATABASE "{DATABASE}"')


def drop() -> None:
    with psycopg.connect(SERVER, autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
