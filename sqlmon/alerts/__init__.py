"""Alert rules over metrics, and the notifiers that report them."""
