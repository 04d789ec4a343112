"""The helpdesk's words: names, streets, cities, mail domains and the requests the policy does
not cover, each in two variants (the original world's, and its surface perturbation's)."""

from __future__ import annotations

FIRST_NAMES = (
    ("Ada", "Ben", "Carla", "Dev", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kemal",
     "Lena", "Marek", "Nadia", "Oskar", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Uma",
     "Viktor", "Wen", "Yara", "Zeno"),
    ("Alba", "Bruno", "Cleo", "Dario", "Edda", "Fynn", "Gala", "Hamid", "Ivo", "Jana", "Kai",
     "Lior", "Mila", "Nico", "Olga", "Pavel", "Rhea", "Soren", "Tilda", "Ugo", "Vera", "Wolf",
     "Xenia", "Yusuf", "Zora"),
)  # fmt: skip
LAST_NAMES = (
    ("Adler", "Brandt", "Costa", "Dietz", "Engel", "Fischer", "Garcia", "Hahn", "Ito", "Jansen",
     "Kovac", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov", "Quist", "Rossi", "Sato",
     "Tanaka"),
    ("Albers", "Bauer", "Castro", "Dahl", "Eriksen", "Falk", "Gomez", "Holm", "Iversen",
     "Jovanovic", "Krause", "Lund", "Marino", "Nowak", "Olsen", "Park", "Rinaldi", "Silva",
     "Torres", "Varga"),
)  # fmt: skip
STREETS = (
    ("Elm Street", "Harbour Road", "Mill Lane", "Station Avenue", "Orchard Way", "Castle Hill",
     "River Walk", "Bakers Row"),
    ("Linden Alley", "Quay Street", "Forge Lane", "Depot Road", "Cherry Close", "Tower Rise",
     "Canal Path", "Market Row"),
)  # fmt: skip
CITIES = (
    ("Northvale", "Eastport", "Westfield", "Southbridge"),
    ("Hollowmere", "Brightwater", "Stonefield", "Redcliff"),
)
MAIL_DOMAINS = (("mail.example", "post.example", "inbox.example"),) * 2
WORK_DOMAINS = (("work.example", "office.example"), ("company.example", "firm.example"))
UNCOVERED = (
    (
        "Can I pay for my next order with cryptocurrency?",
        "The parcel leaked some liquid onto my floor. Will you pay for the cleaning?",
        "I bought this at one of your partner stores. Can you refund it here?",
        "Do you match the prices of other shops?",
        "My delivery was four days late. I want compensation for the trouble.",
        "Can you change the company name on my invoice for tax purposes?",
        "Is the battery in the lamp I bought safe to take on a plane?",
    ),
    (
        "Would you accept a bank cheque for my next purchase?",
        "Your courier scratched my door frame. Who pays for the repair?",
        "I got this in a partner shop downtown - can you give me my money back for it?",
        "Another shop sells the same kettle cheaper. Will you match it?",
        "The parcel came a week late and I missed an event. I'd like something for that.",
        "Please put my employer's name on the invoice instead of mine.",
        "Can the power bank I bought go in my hand luggage?",
    ),
)
UNCOVERED_ORDER = (
    (
        "Order {order} arrived with a scratch. I'd like to keep it and get part of the money back.",
        "Please send the refund for order {order} to my new card instead; the old one expired.",
    ),
    (
        "The item from order {order} has a small dent - can I keep it for a partial refund?",
        "Could the money for order {order} go to my partner's account rather than my card?",
    ),
)
