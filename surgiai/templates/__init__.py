"""WhatsApp message templates, mirrored from the Graph API and kept current by webhooks."""
