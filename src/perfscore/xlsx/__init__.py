"""xlsx machinery, generic (no scoring, no domain rules).

refs       cell addresses and sheet limits
cells      cell XML text: escaping, inline strings, numbers
shifting   the shift rule, formula tokens and the slots that move with inserted rows
package    safe zip open, relationships, parts, shared strings
sheetxml   worksheet XML parsing
maps       template maps (*.map.yaml)
holes      compiled pieces: the data to write and the holes that take it
heights    row heights for wrapped text
compiler   a template's worksheet XML → static text, slots and holes
template   CompiledTemplate: render / write / cache
reader     a filled sheet read back through a map
stream     the streaming writer for generated workbooks (summary.xlsx, flat workbooks)
"""
