# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Database connection budget of an MLflow fleet: the filters the playbooks check it with."""

from __future__ import annotations

DOCUMENTATION = r"""
name: mlflow_connection_budget
short_description: Database connections a whole MLflow deployment can open, against what the database allows
version_added: 0.1.0
description:
  - One rule for every target. Each MLflow server worker keeps one SQLAlchemy pool per store (tracking
    and model registry), each up to pool size + overflow connections, and the server's parent
    process holds 2; MLflow's job runner, when on, adds 9 engines with the same pools (measured on
    MLflow 3.17.2). A host behind PgBouncer opens at most its PgBouncer pool per database instead.
    RDS Proxy caps the database's connections itself.
  - The database's limit is O(_input.database.max_connections), or the RDS default of its instance class.
  - Returns the figure, whether it fits in the limit minus a reserve, and C(problems), messages that
    name the variables to turn (empty when everything fits).
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  _input:
    description:
      - C(database) (C(instance_class), C(engine), C(max_connections) (0 for the class default), C(reserve),
        C(proxy)) and C(fleets), a list of C(name), C(instances_var) and either C(instances) with C(container)
        (C(workers), C(threads), C(pool_size), C(max_overflow), C(job_execution), C(pool_var_prefix)), or C(hosts)
        (each host's variables, C(mlflow_host_*) and C(ansible_processor_vcpus)) with C(host_defaults) (the
        mlflow_host role's defaults).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the fleet's connections
  ansible.builtin.assert:
    that: budget.problems | length == 0
    fail_msg: "{{ budget.problems | join('; ') }}"
  vars:
    budget: >-
      {{ {'database': {'instance_class': 'db.t4g.micro', 'engine': 'postgres', 'max_connections': 0, 'reserve': 10},
          'fleets': [{'name': 'App Runner', 'instances': 3, 'instances_var': 'apprunner_max_size',
                      'container': {'workers': 2, 'threads': 2, 'pool_size': 2, 'max_overflow': 3}}]}
         | mlops.mlflow_aws.mlflow_connection_budget }}
"""

RETURN = r"""
_value:
  description: C(needed), C(allowed), C(max_connections), C(fits), C(formula) and C(problems).
  type: dict
"""

# Measured on MLflow 3.17.2: with MLFLOW_SERVER_ENABLE_JOB_EXECUTION the job runner and its seven
# huey consumers open 9 SQLAlchemy engines, each with the pool settings of the server; the
# `mlflow server` parent process holds 2 connections from start-up, with or without the runner.
JOB_RUNNER_ENGINES = 9
SERVER_CONNECTIONS = 2
STORES = 2

# Nominal memory (GiB) of RDS instance sizes; the family letter decides the multiplier.
_SIZE_GIB = {
    "micro": 1,
    "small": 2,
    "medium": 4,
    "large": 8,
    "xlarge": 16,
    "2xlarge": 32,
    "4xlarge": 64,
    "8xlarge": 128,
    "12xlarge": 192,
    "16xlarge": 256,
    "24xlarge": 384,
}
# RDS sets max_connections from DBInstanceClassMemory, the memory left after the OS and RDS's own
# processes: about 72 % of the nominal size on small classes (db.t3.micro allows about 81 on PostgreSQL).
_USABLE = 0.72
_BYTES_PER_CONNECTION = {"postgres": 9531392, "mysql": 12582880}


def rds_max_connections(instance_class, engine="postgres"):
    """Default max_connections of an RDS instance class (RDS's formula), or 0 when unknown."""
    parts = str(instance_class).split(".")
    if len(parts) != 3 or parts[2] not in _SIZE_GIB:
        return 0
    family, size = parts[1], parts[2]
    gib = _SIZE_GIB[size]
    if family.startswith(("r", "x")):
        gib *= 2  # memory-optimised classes have twice the memory of the same size
    elif family.startswith("c"):
        gib /= 2
    kind = "mysql" if "mysql" in str(engine) or "mariadb" in str(engine) else "postgres"
    return min(int(gib * 1024**3 * _USABLE / _BYTES_PER_CONNECTION[kind]), 5000)


def _flag(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _container_fleet(fleet: dict) -> tuple[int, str, list[str]]:
    box = fleet["container"]
    instances, workers, threads = int(fleet["instances"]), int(box["workers"]), int(box["threads"])
    pool, overflow = int(box["pool_size"]), int(box["max_overflow"])
    prefix = box.get("pool_var_prefix", "")
    problems = []
    if pool + overflow < 2 * threads:
        problems.append(
            f"{prefix}db_pool_size + {prefix}db_max_overflow ({pool + overflow}) must be at least 2 x {prefix}threads "
            f"({threads}): a request can hold two connections, and a smaller pool makes requests wait and fail"
        )
    engines = workers * STORES + (JOB_RUNNER_ENGINES if _flag(box.get("job_execution")) else 0)
    jobs = f" + {JOB_RUNNER_ENGINES} job runner" if engines != workers * STORES else ""
    needed = instances * (engines * (pool + overflow) + SERVER_CONNECTIONS)
    formula = (
        f"{instances} instances x (({workers} workers x {STORES} stores{jobs}) x ({pool} pool + {overflow} overflow)"
        f" + {SERVER_CONNECTIONS} server)"
    )
    return needed, f"{formula} = {needed}", problems


def _host_connections(host: dict, defaults: dict) -> int:
    def get(name):
        value = host.get(name)
        return defaults.get(name) if value is None else value

    vcpus = int(host.get("ansible_processor_vcpus") or 2)
    workers = int(get("mlflow_host_workers") or 0) or min(max(vcpus * 2, 2), 8)
    threads = int(get("mlflow_host_threads"))
    if _flag(get("mlflow_host_pgbouncer")):
        pool = int(get("mlflow_host_pgbouncer_pool_size") or 0) or workers * threads + 1
        auth_db = get("mlflow_host_auth") == "basic-auth" and not get("mlflow_host_auth_database_uri")
        return pool * (2 if auth_db else 1)
    engines = workers * STORES + (JOB_RUNNER_ENGINES if _flag(get("mlflow_host_job_execution")) else 0)
    pool = int(get("mlflow_host_db_pool_size")) + int(get("mlflow_host_db_max_overflow"))
    return engines * pool + SERVER_CONNECTIONS


def _host_fleet(fleet: dict) -> tuple[int, str, list[str]]:
    rows = [_host_connections(host, fleet.get("host_defaults") or {}) for host in fleet["hosts"]]
    needed = sum(rows)
    formula = (
        f"{len(rows)} hosts x (workers x {STORES} stores x (pool + overflow) + {SERVER_CONNECTIONS} server), "
        "or PgBouncer pools = "
        f"{' + '.join(str(r) for r in rows) or '0'} = {needed}"
    )
    return needed, formula, []


def connection_budget(demand):
    """Every fleet's connections against the database's limit; see DOCUMENTATION."""
    db = demand["database"]
    proxy = _flag(db.get("proxy"))
    max_connections = int(db.get("max_connections") or 0) or rds_max_connections(
        db.get("instance_class", ""), db.get("engine", "postgres")
    )
    reserve = int(db.get("reserve") or 0)
    allowed = max_connections - reserve
    needed, formulas, problems, knobs = 0, [], [], []
    for fleet in demand["fleets"]:
        count, formula, fleet_problems = (_container_fleet if "container" in fleet else _host_fleet)(fleet)
        needed += count
        formulas.append(f"{fleet['name']}: {formula}" if len(demand["fleets"]) > 1 else formula)
        problems += fleet_problems
        knobs.append(fleet.get("instances_var", "the instance count"))
    formula = "; ".join(formulas)
    limit_var = db.get("max_connections_var", "max_connections")
    # RDS Proxy caps the database's connections itself (rds_backend_proxy_max_connections_percent).
    if not proxy and max_connections <= 0:
        problems.append(f"the connection limit of {db.get('instance_class')} is not known: set {limit_var}")
    elif not proxy and needed > allowed:
        problems.append(
            f"connection budget exceeded: {formula} connections, but the database allows {allowed} "
            f"(max_connections {max_connections} - reserve {reserve}). Lower {', '.join(knobs)}, the workers or "
            "the pools (mlflow_container_* / mlflow_host_* workers, db_pool_size, db_max_overflow), use a pooler "
            "(mlflow_host_pgbouncer, rds_backend_proxy) or choose a larger rds_backend_instance_class "
            f"(set {limit_var} if a parameter group raises the limit)"
        )
    return {
        "needed": needed,
        "allowed": allowed,
        "max_connections": max_connections,
        "fits": not problems,
        "formula": formula,
        "problems": problems,
    }


class FilterModule:
    def filters(self):
        return {
            "mlflow_connection_budget": connection_budget,
            "rds_max_connections": rds_max_connections,
        }
