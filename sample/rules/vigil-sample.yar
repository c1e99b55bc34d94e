/*
 * Sample rules for `make run` (written for Vigil; not a detection set).
 * Real deployments import a maintained set, e.g.:
 *   vigil rules import --kind rules /path/to/signature-base/yara
 */
rule Vigil_Sample_EICAR
{
    meta:
        description = "EICAR anti-virus test file"
    strings:
        $e = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE" ascii
    condition:
        $e and filesize < 256
}

rule Vigil_Sample_PHP_Eval_Request
{
    meta:
        description = "PHP that evaluates request data: the shape of a one-line web shell"
    strings:
        $php = "<?php" nocase
        $e1 = /eval\s*\(\s*\$_(POST|GET|REQUEST|COOKIE)\[/ nocase
        $e2 = /assert\s*\(\s*\$_(POST|GET|REQUEST)\[/ nocase
    condition:
        $php and any of ($e*)
}
