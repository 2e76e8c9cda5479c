"""The local data plane: makes the local AWS control plane's state real (see README.md here).

moto answers the ECS, ELBv2, Application Auto Scaling and CloudWatch APIs but runs nothing. Started
inside the project's moto server (tests/local/moto_server.py), this package runs each ECS service's
tasks as containers (containers.py, shared with the App Runner emulator), keeps ECS's own view of
them truthful (ecs.py), and serves every Application Load Balancer on a loopback address through a
real HAProxy whose configuration is generated from the ELBv2 state (alb.py); SageMaker endpoints run
their serving containers (sagemaker.py).
"""
