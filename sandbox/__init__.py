"""A HubSpot-compatible CRM portal on loopback: the demo's default, and the ground truth of tests and benchmarks."""

from .app import DEFAULT_TOKEN, SandboxApp, SandboxConfig
from .loader import DEFAULT_PORTAL_DIR, PortalLoadError, load_portal, read_fixture_dir
from .portal import Portal
from .server import SandboxServer, build_portal

__all__ = ["DEFAULT_PORTAL_DIR", "DEFAULT_TOKEN", "Portal", "PortalLoadError", "SandboxApp", "SandboxConfig",
           "SandboxServer", "build_portal", "load_portal", "read_fixture_dir"]
