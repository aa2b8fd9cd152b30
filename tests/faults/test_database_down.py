"""PostgreSQL stopped for a few seconds under the web process (a private server the test starts,
real processes): every page answers 503 saying the database does not answer, never a 500; once it
is back the same pages work again, without restarting anything."""

import re

import pytest
import requests

from tests.support.postgres import PostgresServer
from tests.support.processes import WebProcess, manage, process_env

PAGES = ["/", "/instances/", "/operations/", "/hosts/", "/audit/"]
PASSWORD = "correct-horse-battery"


@pytest.fixture
def postgres():
    server = PostgresServer().start()
    yield server
    server.remove()


def logged_in(web: WebProcess) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{web.url}/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(page.url, data={"username": "root-admin", "password": PASSWORD,
                                          "csrfmiddlewaretoken": token}, headers={"Referer": page.url})  # fmt: skip
    assert answer.status_code == 200 and "/login/" not in answer.url, answer.text[:1000]
    return session


def test_pages_answer_503_while_postgresql_is_stopped_then_work_again(postgres, tmp_path):
    env = process_env(DATABASE_URL=postgres.url, DJANGO_SUPERUSER_USERNAME="root-admin",
                      DJANGO_SUPERUSER_PASSWORD=PASSWORD)  # fmt: skip
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "ensure_admin")
    web = WebProcess(tmp_path / "web.log", env=env).start()
    try:
        session = logged_in(web)
        assert [session.get(web.url + path).status_code for path in PAGES] == [200] * len(PAGES)

        postgres.stop()
        for path in PAGES:
            answer = session.get(web.url + path)
            assert answer.status_code == 503, f"{path}: {answer.status_code}"
            assert "The database does not answer" in answer.text and "nothing was changed" in answer.text
        assert "the database does not answer" in web.log()  # and the operator's log says why

        postgres.start()
        assert [session.get(web.url + path).status_code for path in PAGES] == [200] * len(PAGES)
    finally:
        web.stop()
