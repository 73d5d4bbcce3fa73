"""Channel edge: neutral message types, the `ChannelAdapter` protocol and one package per vendor.

Nothing outside this package knows a vendor's JSON (STYLE.md, "Adapters at the edges").
"""
