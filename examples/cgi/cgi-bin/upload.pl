#!/usr/bin/perl
# A file upload with CGI.pm: answers the file's name, size and SHA-256 as JSON-ish text.
use strict;
use warnings;
use CGI;
use Digest::SHA;

$CGI::POST_MAX = 16 * 1024 * 1024;
my $q = CGI->new;
if ($q->request_method ne 'POST') {
    print $q->header(-type => 'text/html');
    print $q->start_multipart_form(-method => 'POST'), $q->filefield(-name => 'file'), $q->submit, $q->end_form, "\n";
    exit 0;
}
my $fh = $q->upload('file');
if (!$fh) {
    print $q->header(-status => '400 Bad Request', -type => 'text/plain'), "no file field (", ($q->cgi_error // 'missing'), ")\n";
    exit 0;
}
my $sha = Digest::SHA->new(256);
my $size = 0;
binmode $fh;
while (read($fh, my $buffer, 65536)) {
    $size += length $buffer;
    $sha->add($buffer);
}
my $name = $q->param('file');
print $q->header(-type => 'text/plain');
print "name=$name\nsize=$size\nsha256=", $sha->hexdigest, "\n";
