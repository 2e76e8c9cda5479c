# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Database connection budget of an MLflow fleet: the filters the playbooks check it with."""

from __future__ import annotations

DOCUMENTATION = r"""
name: mlflow_connection_budget
short_description: Database connections an MLflow fleet can open, against what the database allows
version_added: 0.1.0
description:
  - Each MLflow server worker keeps one SQLAlchemy pool per store (tracking and model registry),
    each up to pool size + overflow connections. A fleet can therefore open
    instances x workers x stores x (pool size + overflow) connections.
  - Returns that figure and whether it fits in the database's limit minus a reserve (for
    superusers, maintenance and migrations).
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  _input:
    description:
      - The fleet, a dictionary with C(instances) (servers, or the most instances auto scaling may run),
        C(workers) (server processes per instance), C(pool_size) and C(max_overflow)
        (MLFLOW_SQLALCHEMYSTORE_POOL_SIZE / _MAX_OVERFLOW), C(max_connections) (the database's limit),
        C(reserve) (connections kept free for administration) and optionally C(stores) (pools per worker, 2).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the fleet's connections
  ansible.builtin.assert:
    that: budget.fits
    fail_msg: "{{ budget.needed }} connections > {{ budget.allowed }}"
  vars:
    budget: >-
      {{ {'instances': 3, 'workers': 2, 'pool_size': 2, 'max_overflow': 3, 'max_connections': 100, 'reserve': 10}
         | mlops.mlflow_aws.mlflow_connection_budget }}
"""

RETURN = r"""
_value:
  description: C(needed), C(allowed), C(fits) and C(formula) (the product written out).
  type: dict
"""

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


def connection_budget(fleet):
    instances, workers, stores = int(fleet["instances"]), int(fleet["workers"]), int(fleet.get("stores", 2))
    pool_size, max_overflow = int(fleet["pool_size"]), int(fleet["max_overflow"])
    needed = instances * workers * stores * (pool_size + max_overflow)
    allowed = int(fleet["max_connections"]) - int(fleet["reserve"])
    return {
        "needed": needed,
        "allowed": allowed,
        "fits": needed <= allowed,
        "formula": f"{instances} instances x {workers} workers x {stores} stores x "
        f"({pool_size} pool + {max_overflow} overflow) = {needed}",
    }


class FilterModule:
    def filters(self):
        return {
            "mlflow_connection_budget": connection_budget,
            "rds_max_connections": rds_max_connections,
        }
