"""Notification channels (`notify:` in sqlmon.yml): one module per `type`, registered in the entry-point group
`sqlmon.channels` as the built-ins are, so a plugin adds a channel the same way (docs/notifications.md)."""
