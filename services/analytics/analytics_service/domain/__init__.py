"""Pure analytics logic: periods, money allocation, RFM and CLV models, forecasting."""
