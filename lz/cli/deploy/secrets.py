"""The stage's `secrets` at deploy: each reference checked with the deployer's credentials (a missing
parameter or secret fails the deploy before anything changes, naming the variable), and the role
statements that let the function read exactly those, and nothing else:

- `ssm:GetParameters` on each parameter's ARN (as GetParameters reports it);
- `secretsmanager:GetSecretValue` on each secret's full ARN, from DescribeSecret: a secret's ARN
  ends in 6 random characters that its name does not tell ("Secrets Manager ARN format",
  https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html), so a
  statement written from the name alone would need a wildcard;
- `kms:Decrypt` on a customer managed key only, limited with `kms:ViaService` to the one service
  that decrypts with it. A parameter's key is DescribeParameters' KeyId (SecureString only), a
  secret's DescribeSecret's KmsKeyId (absent: aws/secretsmanager); DescribeKey's KeyManager says
  whose it is. AWS managed keys (aws/ssm, aws/secretsmanager) need no statement: their key
  policies let the account's principals use them through their service.

Values are never read here (the deployer may not be allowed to, and need not).
"""

from __future__ import annotations

from dataclasses import replace

from lz.runtime.secrets import Ref, parse

from ..aws import Aws, AwsError, error_code
from .models import Desired

AWS_MANAGED = ("alias/aws/ssm", "alias/aws/secretsmanager")


def _refs(secrets: dict[str, str]) -> dict[str, Ref]:
    return {name: parse(text) for name, text in secrets.items()}


def _missing(what: str, users: list[str], region: str) -> AwsError:
    return AwsError(f"{what} not found in {region} for secret {', '.join(users)}: create it, or fix the "
                    "stage's \"secrets\"; nothing was changed")


def _parameters(aws: Aws, refs: dict[str, Ref]) -> tuple[list[str], set[str]]:
    """(parameter ARNs, KMS key ids of SecureStrings) of the ssm: references."""
    ssm = aws.client("ssm")
    names = sorted({r.id for r in refs.values()})
    arns, found, invalid = [], {}, set()
    for start in range(0, len(names), 10):  # GetParameters takes at most 10 names
        with aws.explain("checking the stage's SSM parameters"):
            answer = ssm.get_parameters(Names=names[start:start + 10], WithDecryption=False)
        for parameter in answer.get("Parameters", []):
            found[parameter["Name"]] = parameter
            arns.append(parameter["ARN"])
        invalid.update(answer.get("InvalidParameters", []))
    missing = [f"{v} ({r.text})" for v, r in refs.items() if r.id in invalid]
    if missing:
        raise _missing("SSM parameter", missing, aws.region)
    keys = set()
    secure = [name for name, p in found.items() if p.get("Type") == "SecureString"]
    for start in range(0, len(secure), 50):
        with aws.explain("reading the KMS keys of the stage's SecureString parameters"):
            described = ssm.describe_parameters(
                ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": secure[start:start + 50]}])
        keys.update(p["KeyId"] for p in described.get("Parameters", []) if p.get("KeyId"))
    return arns, keys


def _secrets(aws: Aws, refs: dict[str, Ref]) -> tuple[list[str], set[str]]:
    """(secret ARNs, KMS key ids) of the secretsmanager: references."""
    client = aws.client("secretsmanager")
    arns, keys = [], set()
    for secret in sorted({r.id for r in refs.values()}):
        try:
            described = client.describe_secret(SecretId=secret)
        except Exception as exc:
            if error_code(exc) == "ResourceNotFoundException":
                raise _missing("Secrets Manager secret",
                               [f"{v} ({r.text})" for v, r in refs.items() if r.id == secret], aws.region) from None
            with aws.explain(f"checking the Secrets Manager secret {secret}"):
                raise
        if described.get("DeletedDate"):
            raise AwsError(f"the Secrets Manager secret {secret} is scheduled for deletion: restore it "
                           "(aws secretsmanager restore-secret) or fix the stage's \"secrets\"")
        arns.append(described["ARN"])
        if described.get("KmsKeyId"):
            keys.add(described["KmsKeyId"])
    return arns, keys


def _customer_keys(aws: Aws, keys: set[str]) -> list[str]:
    """The ARNs of those keys that are customer managed (DescribeKey's KeyManager)."""
    kms = aws.client("kms")
    out = []
    for key in sorted(keys - set(AWS_MANAGED)):
        with aws.explain(f"reading the KMS key {key}"):
            metadata = kms.describe_key(KeyId=key)["KeyMetadata"]
        if metadata.get("KeyManager") == "CUSTOMER":
            out.append(metadata["Arn"])
    return out


# Each kind of reference: its service, the role statement's id and the one action it needs
# (shared by the deploy's statements, which read AWS, and the template's, which cannot).
_READS = (("ssm", "ReadParameters", "ssm:GetParameters"),
          ("secretsmanager", "ReadSecrets", "secretsmanager:GetSecretValue"))


def statements(aws: Aws, secrets: dict[str, str]) -> tuple[dict, ...]:
    """The role statements for `secrets` (variable -> reference), after checking each exists."""
    refs = _refs(secrets)
    readers = {"ssm": _parameters, "secretsmanager": _secrets}
    out: list[dict] = []
    for service, sid, action in _READS:
        mine = {v: r for v, r in refs.items() if r.service == service}
        if not mine:
            continue
        arns, keys = readers[service](aws, mine)
        out.append({"Sid": sid, "Effect": "Allow", "Action": [action], "Resource": sorted(set(arns))})
        customer = _customer_keys(aws, keys)
        if customer:
            out.append({"Sid": f"Decrypt{sid[4:]}", "Effect": "Allow", "Action": ["kms:Decrypt"],
                        "Resource": customer,
                        "Condition": {"StringEquals": {"kms:ViaService": f"{service}.{aws.region}.amazonaws.com"}}})
    return tuple(out)


def with_grants(aws: Aws, want: Desired) -> Desired:
    """`want` with the statements for its secrets (the deploy's check that each exists)."""
    if not want.secrets:
        return want
    return replace(want, secret_grants=statements(aws, want.secrets))


def template_statements(want: Desired) -> tuple[dict, ...]:
    """The same statements for a template, where nothing can be read: a parameter's ARN is its
    name's; a secret's is its name and AWS's 6 random characters, matched by `-??????` (exactly six,
    the pattern AWS documents for naming a secret in a policy), unless the reference is the full
    ARN. A customer managed key cannot be found without reading AWS: the template's notes say so."""
    refs = _refs(want.secrets)
    prefix = {"ssm": f"arn:aws:ssm:{want.region}:{want.account}:parameter/",
              "secretsmanager": f"arn:aws:secretsmanager:{want.region}:{want.account}:secret:"}
    out: list[dict] = []
    for service, sid, action in _READS:
        arns = sorted({r.id if r.id.startswith("arn:") else
                       prefix[service] + (r.id.lstrip("/") if service == "ssm" else f"{r.id}-??????")
                       for r in refs.values() if r.service == service})
        if arns:
            out.append({"Sid": sid, "Effect": "Allow", "Action": [action], "Resource": arns})
    return tuple(out)
