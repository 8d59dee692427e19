# The probe table's registration: every probe kind hil knows, in the order
# --help lists them (the first is the default of plans and bench files).
# Each is a folder of probes/ whose kind.cc defines hil::probes::kinds::KIND()
# (probes/README.md, "Adding a probe").
set(HIL_PROBE_KINDS ppk2 lpm01a js110)

# hil_write_registered_kinds(FILE): writes the C++ that lists the kinds'
# entries for probes/probe_table.cc.
function(hil_write_registered_kinds file)
  set(HIL_PROBE_DECLARATIONS "")
  set(HIL_PROBE_ENTRIES "")
  foreach(kind ${HIL_PROBE_KINDS})
    string(APPEND HIL_PROBE_DECLARATIONS "ProbeKind ${kind}();\n")
    string(APPEND HIL_PROBE_ENTRIES "kinds::${kind}(), ")
  endforeach()
  configure_file(${CMAKE_CURRENT_FUNCTION_LIST_DIR}/registered_kinds.cc.in ${file} @ONLY)
endfunction()
