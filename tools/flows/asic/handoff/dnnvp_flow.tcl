# Helpers the hand-off scripts share (syn.tcl, pnr.tcl): the engine's sources and parameters.
namespace eval dnnvp {
  # The sources of rtl/dnn_engine.f (the one file list), in order.
  proc rtl_sources {rtl} {
    set f [open [file join $rtl dnn_engine.f]]
    set sources {}
    foreach line [split [read $f] "\n"] {
      set line [string trim $line]
      if {$line ne "" && ![string match "//*" $line]} { lappend sources [file join $rtl $line] }
    }
    close $f
    return $sources
  }
  # config.tcl's engine parameters as {{Name Value} ...} (its clock settings are not RTL parameters).
  proc rtl_parameters {} {
    set params {}
    foreach var [lsort [info vars ::dnnvp::*]] {
      set name [namespace tail $var]
      if {$name in {ClockKhz ClockMhz}} continue
      lappend params [list $name [set $var]]
    }
    return $params
  }
  # A one-corner MMMC file for Innovus: the library and the SDC.
  proc write_mmmc {path lib sdc} {
    set f [open $path w]
    puts $f "create_library_set -name libs -timing [list $lib]"
    puts $f "create_timing_condition -name typical -library_sets libs"
    puts $f "create_rc_corner -name rc"
    puts $f "create_delay_corner -name corner -timing_condition typical -rc_corner rc"
    puts $f "create_constraint_mode -name func -sdc_files [list $sdc]"
    puts $f "create_analysis_view -name view -constraint_mode func -delay_corner corner"
    puts $f "set_analysis_view -setup view -hold view"
    close $f
    return $path
  }
}
