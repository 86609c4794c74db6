"""What an operator's monitoring reads of the server: Prometheus metrics (``metrics``, served at ``/metrics`` by
``routes``), structured logs carrying the call id (``logs``) and optional OpenTelemetry traces (``tracing``).

It knows the live call only by the numbers the call runner hands it, so the back office may use it too."""
