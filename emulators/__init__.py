"""Small local emulators of the cloud REST APIs (Azure Resource Manager, Google Cloud, Kubernetes).

They serve the providers' real JSON shapes on 127.0.0.1 for the tests, the
benchmarks and the demo. No Django here.
"""
