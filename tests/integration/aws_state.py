"""boto3 clients on the local moto server, and a snapshot of what exists there."""

from __future__ import annotations

import json

import boto3


def client(service: str, env: dict[str, str]):
    return boto3.client(
        service,
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


def stack_login(env: dict[str, str], name: str, target: str, password: str) -> str:
    """Store stack NAME's web login as the stack itself stores it (value, description, tags), so that the
    stack finds nothing to change in it; returns its ARN."""
    return client("secretsmanager", env).create_secret(
        Name=f"mlflow/{name}/web-login",
        Description=f"Web login of MLflow ({name}, {target})",
        SecretString=json.dumps({"password": password, "username": "mlflow"}, sort_keys=True),
        Tags=[{"Key": "ManagedBy", "Value": "mlops.mlflow_aws"}, {"Key": "mlflow:stack", "Value": name}],
    )["ARN"]


def snapshot(env: dict[str, str]) -> dict[str, set[str]]:
    """Names and IDs of every resource kind the project creates."""
    ec2, rds = client("ec2", env), client("rds", env)
    return {
        "buckets": {b["Name"] for b in client("s3", env).list_buckets()["Buckets"]},
        "vpcs": {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]},
        "subnets": {s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]},
        "security_groups": {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]},
        "instances": {i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]},
        "db_instances": {d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]},
        "db_subnet_groups": {g["DBSubnetGroupName"] for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]},
        "secrets": {s["Name"] for s in client("secretsmanager", env).list_secrets()["SecretList"]},
        "iam_roles": {r["RoleName"] for r in client("iam", env).list_roles()["Roles"]},
        "db_proxies": {p["DBProxyName"] for p in rds.describe_db_proxies()["DBProxies"]},
        "ecs_clusters": set(client("ecs", env).list_clusters()["clusterArns"]),
        "task_definitions": set(client("ecs", env).list_task_definitions()["taskDefinitionArns"]),
        # Express services among them: ECS services of every cluster.
        "ecs_services": {
            arn
            for cluster in client("ecs", env).list_clusters()["clusterArns"]
            for arn in client("ecs", env).list_services(cluster=cluster)["serviceArns"]
        },
        "load_balancers": {
            b["LoadBalancerName"] for b in client("elbv2", env).describe_load_balancers()["LoadBalancers"]
        },
        "target_groups": {g["TargetGroupName"] for g in client("elbv2", env).describe_target_groups()["TargetGroups"]},
        "log_groups": {g["logGroupName"] for g in client("logs", env).describe_log_groups()["logGroups"]},
        "beanstalk_applications": {
            a["ApplicationName"] for a in client("elasticbeanstalk", env).describe_applications()["Applications"]
        },
        "beanstalk_environments": {
            e["EnvironmentName"]
            for e in client("elasticbeanstalk", env).describe_environments(IncludeDeleted=False)["Environments"]
        },
        "scalable_targets": {
            t["ResourceId"]
            for t in client("application-autoscaling", env).describe_scalable_targets(ServiceNamespace="ecs")[
                "ScalableTargets"
            ]
        },
    }


def vpc_with_subnets(env: dict[str, str], zones: str = "ab") -> tuple[str, list[str]]:
    """A VPC (10.77.0.0/16) with one subnet in each of ZONES (us-east-1a, ...)."""
    ec2 = client("ec2", env)
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.77.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(zones)
    ]
    return vpc, subnets
