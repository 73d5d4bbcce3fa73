"""Meta WhatsApp Cloud API: signature checks, webhook parsing, the Graph client and the adapter."""
