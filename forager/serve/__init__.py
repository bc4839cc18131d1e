"""Model servers: vLLM for CWM, a small CPU model for laptops and tests."""
