"""Jira Cloud (REST v3) and Data Center (REST v2): the client, issue content, grouping and the ticket sync."""
