"""JupyterHub for one cohort on one server: learners need only a browser (assignments/README.md,
"Running a cohort on JupyterHub"). Start it with `make hub` (as root: it makes unix accounts).

Settings come from environment variables, so the same file serves `make hub` and the tests:
  TYOKYKY_HUB_DIR        the hub's runtime folder (database, cookie secret, exchange); .hub/
  TYOKYKY_HUB_PORT       the port learners open on 127.0.0.1; 8000
  TYOKYKY_HUB_API_PORT   the hub's own API port (127.0.0.1); 8081
  TYOKYKY_HUB_PROXY_API_PORT  the proxy's API port (127.0.0.1); 8001
  TYOKYKY_HUB_SERVICE_PORT    the formgrader service's port (127.0.0.1); 8010
  TYOKYKY_HUB_TRAINERS   hub user names of the trainer and co-graders, comma-separated; trainer
  TYOKYKY_HUB_GRADER     the unix account the formgrader runs as; tyokyky-grader
  TYOKYKY_HUB_LANGUAGES  course languages copied into each home, comma-separated; en,fi
  TYOKYKY_HUB_MEM_LIMIT  memory of one learner's server with its kernels; 1G
  TYOKYKY_HUB_CPU_LIMIT  CPU cores of one learner's server; 1
  TYOKYKY_HUB_IDLE_TIMEOUT  seconds after which an idle learner's server is stopped; 3600
"""

import os
import secrets
import sys
from pathlib import Path

from sim.grading import hub  # the spawner, accounts, views and cgroups (sim/grading/hub.py)

c = get_config()  # noqa: F821 (injected by traitlets when JupyterHub loads this file)

_env = os.environ.get  # every setting below reads its environment variable through this
_repo = Path(__file__).resolve().parents[2]  # the repository: assignments/hub/ is two levels down
_state = Path(_env("TYOKYKY_HUB_DIR", str(_repo / ".hub"))).resolve()  # runtime files, not in git
_state.mkdir(mode=0o755, parents=True, exist_ok=True)  # learners' views pass through it: 0755
_port = int(_env("TYOKYKY_HUB_PORT", "8000"))  # the one address people open in a browser
_trainers = {n.strip() for n in _env("TYOKYKY_HUB_TRAINERS", "trainer").split(",") if n.strip()}
_grader = _env("TYOKYKY_HUB_GRADER", "tyokyky-grader")  # unix account that owns the gradebook
_course_id = "tyokyky-course"  # the course id of assignments/nbgrader_config.py
_service = _course_id  # the formgrader service's name: its URL is /services/tyokyky-course/
_group = f"formgrade-{_course_id}"  # hub group whose members may open the formgrader service

# --- network: everything on 127.0.0.1; put a TLS reverse proxy in front for a real cohort -----
c.JupyterHub.bind_url = f"http://127.0.0.1:{_port}"  # the public face (the proxy) listens here
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{_env('TYOKYKY_HUB_API_PORT', '8081')}"  # hub API
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{_env('TYOKYKY_HUB_PROXY_API_PORT', '8001')}"
# configurable-http-proxy from the npm registry, installed by `make hub-install` into .hub/
c.ConfigurableHTTPProxy.command = [_env("TYOKYKY_HUB_PROXY",
                                        str(_repo / ".hub/node_modules/.bin/configurable-http-proxy"))]
c.ConfigurableHTTPProxy.pid_file = str(_state / "proxy.pid")  # the hub stops its proxy by pid
c.JupyterHub.pid_file = str(_state / "jupyterhub.pid")  # `kill $(cat .hub/jupyterhub.pid)` stops it
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every learner's server too
c.JupyterHub.cleanup_proxy = True  # … and the proxy it started

# --- the hub's own files ------------------------------------------------------------------
c.JupyterHub.db_url = f"sqlite:///{_state / 'jupyterhub.sqlite'}"  # users, groups, tokens
c.JupyterHub.cookie_secret_file = str(_state / "jupyterhub_cookie_secret")  # made 0600 at start

# --- accounts: learners sign up, a trainer approves -----------------------------------------
c.JupyterHub.authenticator_class = hub.CourseAuthenticator  # NativeAuthenticator's sign-up page
c.CourseAuthenticator.open_signup = False  # a sign-up waits for a trainer at /hub/authorize;
# approving it there makes the learner's unix account (home 0700): a sign-up never approved leaves
# none, and one named like a system account (root, daemon) is refused with the reason.
c.CourseAuthenticator.minimum_password_length = 10  # and common passwords are refused (default)
c.CourseAuthenticator.allowed_failed_logins = 5  # then the name is locked for a while …
c.CourseAuthenticator.seconds_before_next_try = 300  # … five minutes
c.Authenticator.admin_users = _trainers  # trainers approve sign-ups and see everyone's server
c.Authenticator.allow_all = True  # the approval above is the gate: unapproved names cannot log in
c.Authenticator.username_pattern = hub.ACCOUNT_NAME  # names that are also valid unix accounts
c.Authenticator.blocked_users = {_grader}  # nobody logs in as the grader account …

# --- each learner's server: own unix account, own view, own limits ---------------------------
c.JupyterHub.spawner_class = hub.CourseSpawner  # LocalProcessSpawner in a bubblewrap view
# A trainer (approved at sign-up) gets their unix account when their first server starts.
c.CourseSpawner.course_dir = str(_repo / "course")  # course/en and course/fi are copied from here
c.CourseSpawner.languages = _env("TYOKYKY_HUB_LANGUAGES", "en,fi").split(",")  # ~/course/<lang>/
c.CourseSpawner.exchange_root = str(hub.prepare_exchange(_state / "exchange"))  # nbgrader, 1777
c.CourseSpawner.jupyter_config = str(Path(__file__).parent / "learner")  # Assignment List only
c.Spawner.environment = {"TYOKYKY_HUB_EXCHANGE": c.CourseSpawner.exchange_root}  # read by it
c.Spawner.default_url = "/lab/tree/course"  # learners land in their copy of the course
c.Spawner.mem_limit = _env("TYOKYKY_HUB_MEM_LIMIT", "1G")  # server + kernels, a cgroup enforces it
c.Spawner.cpu_limit = float(_env("TYOKYKY_HUB_CPU_LIMIT", "1"))  # cores, a cgroup quota
c.Spawner.start_timeout = 120  # seconds for a server to start on a busy 2-core machine
c.Spawner.http_timeout = 120  # seconds for it to answer after it started
c.Spawner.args = ["--ServerApp.terminals_enabled=True",  # learners may use a terminal …
                  "--LabApp.news_url=None",  # … and the hub never fetches news or updates
                  "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]

# --- nbgrader: the trainers' formgrader as a hub service --------------------------------------
hub.ensure_account(_grader)  # the grader account owns the course root and the gradebook
_course_root = hub.prepare_course_root(_repo / "assignments", _grader,
                                       Path(c.CourseSpawner.exchange_root))  # ~grader/course
_service_port = int(_env("TYOKYKY_HUB_SERVICE_PORT", "8010"))
_service_token = secrets.token_hex(32)  # a new API token for the formgrader at every start
_api_url = f"{c.JupyterHub.hub_bind_url}/hub/api"  # where the formgrader asks the hub who you are
# The formgrader: a JupyterLab server as the grader account, in a view with its home and the
# exchange; autograde inside it runs every learner's notebook in nbgrader's sandbox
# (assignments/nbgrader_config.py). Started here, tied to the hub's life (see start_service).
hub.start_service(_service, ["jupyterhub-singleuser", "--LabApp.news_url=None",
                             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
                  account=_grader, port=_service_port, hub_api_url=_api_url, token=_service_token,
                  writable=[_course_root.parent, Path(c.CourseSpawner.exchange_root)],
                  workdir=_course_root, log=_state / "formgrader.log")
c.JupyterHub.services = [
    {
        "name": _service,  # trainers open /services/tyokyky-course/formgrader
        "url": f"http://127.0.0.1:{_service_port}",  # the proxy routes the service's URL here
        "api_token": _service_token,  # the token it was started with
        "oauth_client_id": f"service-{_service}",  # trainers log in to it through the hub
        "oauth_no_confirm": True,  # … without a confirmation page each time
    },
    {
        "name": "idle-culler",  # the maintained jupyterhub-idle-culler, as a hub service
        "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                    f"--timeout={_env('TYOKYKY_HUB_IDLE_TIMEOUT', '3600')}"],
    },
]
c.JupyterHub.load_groups = {_group: {"users": sorted(_trainers)}}  # trainers and co-graders
c.JupyterHub.load_roles = [
    {"name": "formgrader", "groups": [_group],  # only the group may open the formgrader
     "scopes": [f"access:services!service={_service}"]},
    {"name": "idle-culler", "services": ["idle-culler"],  # what the culler needs, nothing more
     "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]},
]
