"""The rules of the cloud disk; they know nothing of HTTP, SQL dialects or storage systems."""
