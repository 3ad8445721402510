"""Azure storage rules (azure.storage.*), one module per part: account settings, data protection."""
