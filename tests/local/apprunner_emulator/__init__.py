"""A local AWS App Runner for the tests and the local demo (moto has none).

It speaks the JSON 1.0 wire protocol boto3 uses for ``apprunner``, checks every request against
botocore's service model and every response against the output shapes, and runs the service's
image in the local Docker engine so the ServiceUrl it returns really serves the application.
"""
