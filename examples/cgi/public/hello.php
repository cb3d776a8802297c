<?php
// A PHP page run through php-cgi: the query, the method and the script's own name.
header('Content-Type: text/plain');
printf("Hello from PHP %s\nmethod=%s\nscript=%s\nname=%s\n", PHP_VERSION, $_SERVER['REQUEST_METHOD'], $_SERVER['SCRIPT_NAME'], $_GET['name'] ?? '(none)');
