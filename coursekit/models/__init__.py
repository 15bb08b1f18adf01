"""Networks: small trainable ones and pretrained ones, one module each.

Each module's public names are re-exported here.
"""
