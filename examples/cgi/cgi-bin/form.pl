#!/usr/bin/perl
# A form with CGI.pm: GET shows it, POST greets the name and lists the chosen toppings.
use strict;
use warnings;
use CGI qw(-utf8);

my $q = CGI->new;
print $q->header(-type => 'text/html', -charset => 'utf-8');
print "<!doctype html><title>perl form</title>\n";
if ($q->request_method eq 'POST') {
    my $name = $q->escapeHTML($q->param('name') // '');
    my @toppings = map { $q->escapeHTML($_) } $q->multi_param('topping');
    print "<p>Hello, $name!</p>\n<p>toppings: ", join(', ', @toppings), "</p>\n";
} else {
    print $q->start_form(-method => 'POST'), $q->textfield('name'),
      $q->checkbox_group(-name => 'topping', -values => ['cheese', 'olives', 'basil']),
      $q->submit, $q->end_form, "\n";
}
