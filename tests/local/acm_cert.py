"""A certificate for the local load balancers, imported into the local ACM (moto).

ACM's own certificates cannot be exported, so the local HTTPS listeners use an imported one: a CA
made once (tests/output/local/ca.pem, what clients trust through MLFLOW_TRACKING_SERVER_CERT_PATH)
and a server certificate for every ELB name of the region (*.<region>.elb.amazonaws.com) and every
Elastic Beanstalk CNAME (*.<region>.elasticbeanstalk.com), imported
into ACM in that region. Re-running reuses both and prints the same ARN.
  python tests/local/acm_cert.py --region us-east-1      -> prints the certificate ARN
"""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

STATE = Path(__file__).resolve().parents[1] / "output" / "local"
TAG = {"Key": "mlops:local-ca", "Value": "tests/local/acm_cert.py"}


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _ca(state: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert_path, key_path = state / "ca.pem", state / "ca.key"
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        return cert, serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("mlops.mlflow_aws local CA"))
        .issuer_name(_name("mlops.mlflow_aws local CA"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    state.mkdir(parents=True, exist_ok=True)
    key_path.touch(mode=0o600)
    key_path.write_bytes(_pem_key(key))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def issue(names: list[str], state: Path = STATE) -> tuple[bytes, bytes, bytes]:
    """A server certificate for NAMES signed by the local CA: (certificate, key, CA) as PEM."""
    ca_cert, ca_key = _ca(state)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return cert.public_bytes(pem), _pem_key(key), ca_cert.public_bytes(pem)


def certificate_arn(region: str, state: Path = STATE) -> str:
    """The ARN of the local load balancers' certificate in REGION (imported the first time)."""
    acm = boto3.client("acm", region_name=region)
    domain = f"*.{region}.elb.amazonaws.com"
    for summary in acm.list_certificates()["CertificateSummaryList"]:
        if summary["DomainName"] == domain:
            tags = acm.list_tags_for_certificate(CertificateArn=summary["CertificateArn"]).get("Tags", [])
            if TAG in tags:
                return summary["CertificateArn"]
    # Elastic Beanstalk environments' CNAMEs (<prefix>.<region>.elasticbeanstalk.com) point at load
    # balancers too: one certificate names both.
    cert, key, chain = issue([domain, f"*.{region}.elasticbeanstalk.com"], state)
    return acm.import_certificate(
        Certificate=cert,
        PrivateKey=key,
        CertificateChain=chain,
        Tags=[TAG],
    )["CertificateArn"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", required=True)
    print(certificate_arn(parser.parse_args().region))


if __name__ == "__main__":
    main()
