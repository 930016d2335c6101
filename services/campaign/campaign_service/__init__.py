"""Campaign service: plan campaigns, reach segments by email, measure what they earned."""
