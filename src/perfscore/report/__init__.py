"""The batch outputs, one room each.

figures    counts, funds, averages, grades and coverage of a batch
digests    a scored sheet reduced to what the outputs need, and the ordered results
narrative  each sheet's 自评综述
styles     the sandboxed style templates that word it
charts     the SVG charts of report.html
workbook   summary.xlsx
documents  report.md and report.html (预算绩效情况说明)
"""
